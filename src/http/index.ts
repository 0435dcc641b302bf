export * from './client';
export * from './retry';
