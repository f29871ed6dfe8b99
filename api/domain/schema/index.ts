export type * from './types.js';
export * from './columns.js';
export * from './formats.js';
export * from './parse.js';
export * from './compile.js';
export * from './evolve.js';
