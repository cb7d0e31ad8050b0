export * from './organization';
export * from './identity';
export * from './conversation';
export * from './document';
export * from './ticket';
export * from './billing';
export * from './webhooks';
export * from './test-set';
