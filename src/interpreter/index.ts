export * from './memory.js';
export * from './vm.js';
export * from './runner.js';
