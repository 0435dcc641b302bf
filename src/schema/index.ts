export * from './campaign';
export * from './rates';
