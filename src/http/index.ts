export * from './client';
export * from './retry';
export * from './agents';
