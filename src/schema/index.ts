export * from './campaign';
export * from './rates';
export * from './envelope';
