export * from './constants.js';
export * from './ops.js';
export * from './program.js';
export * from './validate.js';
export * from './asm-conformance.js';
