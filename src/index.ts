/**
 * bpfsim: a userspace eBPF interpreter, simplified verifier and modelled Linux 6.18 kernel that
 * runs signed BPF light-skeleton loaders end to end, without root.
 */
export * from './isa/index.js';
export * from './interpreter/index.js';
export * from './conformance/data-file.js';
export * from './conformance/run.js';
export * from './kernel/index.js';
export * from './skeleton/index.js';
export { KernelError, ERRNO, errnoName, type ErrnoName } from './errno.js';
export { KEY_SPEC, Keyrings, signLikeBpftool, parseCertificate, bpfProgVerifySignature } from './signature/index.js';
export { signSkeleton, SIGNING_SCHEMES } from './skeleton/sign.js';
export { compareSchemes } from './skeleton/scheme-compare.js';
export { toHex, fromHex } from './util/hex.js';
export {
  verify, BPF_COMPLEXITY_LIMIT_INSNS, ROOT_CAPS, progDigest,
  type Capabilities, type KfuncProto, type LdImm64Patch, type MapDescriptor, type VerifyRequest, type VerifyResult, type VerifyStats,
} from './verifier/index.js';
export { runBatchCase, parseBatchCase, type BatchCase, type BatchResult } from './verifier/batch.js';
