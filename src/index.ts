/**
 * bpfsim: a userspace eBPF interpreter, simplified verifier and modelled Linux kernel.
 */
export * from './isa/index.js';
export * from './interpreter/index.js';
export * from './conformance/data-file.js';
export * from './conformance/run.js';
