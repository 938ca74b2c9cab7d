export { Kernel, type KernelOptions, type FaultInjection, SYS_getpid, SYS_bpf, SYS_close } from './kernel.js';
export { DEFAULT_CONFIG, FIXTURE_KERNEL, ROOT_CAPS, type KernelConfig, type KernelVersion, type SigningScheme, type Capabilities } from './config.js';
export { BpfApi, type MapCreateOptions, type ProgLoadOptions, type TestRunOptions, type TestRunResult } from './api.js';
export * from './uapi.js';
export type { TraceEvent, Trace } from './trace.js';
export type { LsmCtx, LsmHookName, SecurityProgLoadCtx } from './lsm.js';
export { snapshotKernel, diffSnapshots, type KernelSnapshot, type SnapshotChange } from './snapshot.js';
export { timeline, renderTimelineText, renderTimelineHtml, type TimelineEntry } from './timeline.js';
export { loadVmlinuxFile, defaultVmlinux } from './vmlinux.js';
