/**
 * The bpf() command table: command number → handler. A handler gets the copied-in attr and returns
 * the syscall result (an fd, 0, or -errno); it may also throw KernelError.
 */
import type { AttrBytes } from '../attr.js';
import type { Kernel } from '../kernel.js';
import { BPF_CMD } from '../uapi.js';
import { mapCreate } from './map-create.js';
import { mapDeleteElem, mapFreeze, mapGetNextKey, mapLookupElem, mapUpdateElem } from './map-elem.js';
import { progLoad } from './prog-load.js';
import { progTestRun } from './test-run.js';
import { objGetInfoByFd } from './obj-info.js';
import { btfLoad } from './btf-load.js';
import { linkCreate, rawTracepointOpen } from './link.js';
import { getFdById, getNextId } from './ids.js';
import { tokenCreate } from './token.js';

export interface SysCtx {
  /** Where the attr lives (user or kernel address), for writing outputs back. */
  readonly attrPtr: bigint;
  /** min(size, sizeof(union bpf_attr)). */
  readonly size: number;
  /** bpf_sys_bpf re-entry: attr pointers are kernel addresses (log buffers stay user pointers). */
  readonly isKernel: boolean;
  readonly attr: AttrBytes;
}

export type CommandHandler = (k: Kernel, attr: AttrBytes, ctx: SysCtx) => number;

export const COMMAND_HANDLERS: ReadonlyMap<number, CommandHandler> = new Map<number, CommandHandler>([
  [BPF_CMD.BPF_MAP_CREATE, mapCreate],
  [BPF_CMD.BPF_MAP_LOOKUP_ELEM, mapLookupElem],
  [BPF_CMD.BPF_MAP_UPDATE_ELEM, mapUpdateElem],
  [BPF_CMD.BPF_MAP_DELETE_ELEM, mapDeleteElem],
  [BPF_CMD.BPF_MAP_GET_NEXT_KEY, mapGetNextKey],
  [BPF_CMD.BPF_MAP_FREEZE, mapFreeze],
  [BPF_CMD.BPF_PROG_LOAD, progLoad],
  [BPF_CMD.BPF_PROG_TEST_RUN, progTestRun],
  [BPF_CMD.BPF_OBJ_GET_INFO_BY_FD, objGetInfoByFd],
  [BPF_CMD.BPF_BTF_LOAD, btfLoad],
  [BPF_CMD.BPF_LINK_CREATE, linkCreate],
  [BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, rawTracepointOpen],
  [BPF_CMD.BPF_MAP_GET_FD_BY_ID, getFdById('map')],
  [BPF_CMD.BPF_PROG_GET_FD_BY_ID, getFdById('prog')],
  [BPF_CMD.BPF_BTF_GET_FD_BY_ID, getFdById('btf')],
  [BPF_CMD.BPF_LINK_GET_FD_BY_ID, getFdById('link')],
  [BPF_CMD.BPF_PROG_GET_NEXT_ID, getNextId('prog')],
  [BPF_CMD.BPF_MAP_GET_NEXT_ID, getNextId('map')],
  [BPF_CMD.BPF_BTF_GET_NEXT_ID, getNextId('btf')],
  [BPF_CMD.BPF_LINK_GET_NEXT_ID, getNextId('link')],
  [BPF_CMD.BPF_TOKEN_CREATE, tokenCreate],
]);
