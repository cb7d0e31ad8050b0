import net from 'node:net';

/**
 * A safety net for tests of the outbound guard: while it is on, a socket of this process may connect
 * to loopback addresses only. Were the guard under test broken, a request for 169.254.169.254 or
 * 10.x would fail here with "loopback-only" instead of leaving the machine; the tests expect the
 * guard's own refusal (`blocked_address`), so they fail all the same.
 */
export function useLoopbackOnlyNetwork(): void {
  let spy: jest.SpyInstance | undefined;
  beforeAll(() => {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the socket as `this`
    const connect = net.Socket.prototype.connect;
    spy = jest.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (
      this: net.Socket,
      ...args: unknown[]
    ) {
      const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
      if (first && typeof first === 'object' && 'host' in first) {
        const options = first as net.TcpSocketConnectOpts;
        const host = options.host ?? 'localhost';
        if (net.isIP(host) && !isLoopback(host)) throw new Error(`loopback-only: refused ${host}`);
        const lookup = options.lookup;
        if (lookup) {
          // The last word after the guard's own check: only loopback answers may be connected to.
          options.lookup = ((hostname: string, lookupOptions: object, callback: LookupCallback) =>
            lookup(hostname, lookupOptions, (error: Error | null, address: unknown, family?: number) => {
              const addresses = Array.isArray(address)
                ? (address as { address: string }[]).map((a) => a.address)
                : [address as string];
              const outside = addresses.find((a) => a && !isLoopback(a));
              if (!error && outside) callback(new Error(`loopback-only: refused ${outside}`));
              else callback(error, address, family);
            })) as typeof lookup;
        }
      }
      return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
    });
  });
  afterAll(() => spy?.mockRestore());
}

type LookupCallback = (error: Error | null, address?: unknown, family?: number) => void;

function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}
