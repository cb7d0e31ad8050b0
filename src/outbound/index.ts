export { parseAllowlist, parseAllowRule, type AllowRule } from './allowlist';
export { isRefusedAddress, OutboundPolicy } from './policy';
export {
  httpUrl,
  OutboundError,
  outboundRequest,
  type OutboundErrorCode,
  type OutboundOptions,
  type OutboundResponse,
} from './request';
