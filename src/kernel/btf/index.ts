/** BTF: the BPF_BTF_LOAD checks, the typed model and lookup, the encoder, and vmlinux BTF. */
export * from './constants.js';
export type { BtfHeader } from './raw.js';
export type { BtfMember, BtfParam, BtfType, BtfTypeSpec, BtfVarSecinfo, BtfModifierKind } from './types.js';
export { BTF_VOID_ID } from './types.js';
export { Btf, BtfError, type FuncProto } from './btf.js';
export { btfLoad, type BtfLoadAttr, type BtfLoadResult } from './load.js';
export { encodeBtf, BtfEncodeError } from './encode.js';
export {
  BPF_LOG_FIXED, BPF_LOG_LEVEL1, BPF_LOG_LEVEL2, BPF_LOG_MASK, BPF_LOG_STATS, VerifierLog,
  verifierLogAttrValid, type LogBufState, type VerifierLogAttr,
} from './log.js';
export { BtfBuilder } from './encode.js';
export { buildDefaultVmlinux, defaultVmlinuxBtf } from './default-vmlinux.js';
export { SYS_VMLINUX_BTF, bpfBtfFindByNameKind, loadVmlinuxBtf, vmlinuxBtfOrDefault } from './vmlinux.js';
