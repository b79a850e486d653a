export * from './errors';
export * from './platform';
export * from './identity';
export * from './settings';
export * from './consultation';
export * from './outbox';
export * from './status';
