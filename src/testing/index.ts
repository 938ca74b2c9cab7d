/**
 * bpfsim's testing kit: seeded random eBPF programs the Linux verifier accepts, fast-check
 * arbitraries over values and programs, edge values, and a runner that executes a program the way
 * BPF_PROG_TEST_RUN runs a BPF_PROG_TYPE_SYSCALL program.
 */
export * from './rng.js';
export * from './edge-values.js';
export * from './syscall-programs.js';
export * from './run-syscall.js';
export * from './arbitraries.js';
