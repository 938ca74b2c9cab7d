/**
 * The modelled kernel: one simulated process (fd table, user memory) talking to Linux 6.18's BPF
 * subsystem through `bpf(cmd, attr, size)` with raw `union bpf_attr` bytes.
 *
 * State with a lifetime lives here (object tables, fds, address space, clock, PRNG, trace, LSM
 * policies, keyrings); the commands (./cmd/*.ts), helpers (./helpers/*.ts) and program types
 * (./progtypes.ts) are functions over it. Everything is deterministic for a given config.seed.
 */
import { AddressSpace, type Region } from '../interpreter/memory.js';
import { Vm, type RunResult } from '../interpreter/vm.js';
import { ERRNO, KernelError, errnoName } from '../errno.js';
import { AttrBytes } from './attr.js';
import { DEFAULT_CONFIG, type KernelConfig } from './config.js';
import { FdTable, FMODE_CAN_READ, FMODE_CAN_WRITE, type FdEntry } from './fdtable.js';
import { LsmHooks, type LsmCtx } from './lsm.js';
import { ObjectTable, type KernelObject, type MapObject, type ProgObject } from './objects.js';
import { Prng } from './prng.js';
import { TraceLog, type TraceEventInput } from './trace.js';
import { BPF_CMD, PAGE_SIZE, cmdName } from './uapi.js';
import { UserMemory } from './user-memory.js';
import { summarizeAttr } from './attr-summary.js';
import { snapshotKernel, type KernelSnapshot } from './snapshot.js';
import { COMMAND_HANDLERS, type SysCtx } from './cmd/index.js';
import { checkZeroed } from './cmd/common.js';
import { buildHelpers, type HelperTable } from './helpers/index.js';
import { KFUNCS_BY_NAME } from './helpers/kfuncs.js';
import type { Helper } from '../interpreter/vm.js';
import type { KfuncProto } from '../verifier/index.js';
import type { BtfObject, LinkObject } from './objects.js';
import { BTF_KIND } from './btf/index.js';
import { PERM_RW, PERM_W } from '../interpreter/memory.js';
import { tailCallHook } from './helpers/tail-call.js';
import { Keyrings, type KeyringsOptions } from '../signature/index.js';
import { defaultVmlinux, type VmlinuxBtf } from './vmlinux.js';
import type { MapEnv } from './maps/index.js';

/**
 * The modelled /proc/kallsyms for bpf_kallsyms_lookup_name (typeless ksyms): a few well-known data
 * symbols at stable, made-up kernel addresses. Pass `kallsyms` to model others.
 */
export const DEFAULT_KALLSYMS: ReadonlyMap<string, bigint> = new Map([
  ['jiffies', 0xffffffff82a05000n], ['init_task', 0xffffffff82a1a940n], ['init_net', 0xffffffff83b4e0c0n],
  ['bpf_prog_active', 0x0000000000032e40n], ['linux_banner', 0xffffffff82400180n],
]);

/** x86-64 system call numbers of the syscalls the model performs. */
export const SYS_close = 3;
export const SYS_mmap = 9;
export const SYS_munmap = 11;
export const SYS_getpid = 39;
export const SYS_bpf = 321;

/** sizeof(union bpf_attr) in 6.18; the hash-chain proposal grows it to 184 (signing.md §3.1). */
export const BPF_ATTR_SIZE = 168;
export const BPF_ATTR_SIZE_HASH_CHAIN = 184;

/** Make the N-th bpf() command fail (for tests of error paths). */
export interface FaultInjection {
  /** 1-based count over every bpf() command (user and loader), or a predicate. */
  readonly nth?: number;
  readonly match?: (cmd: number, isKernel: boolean, count: number) => boolean;
  readonly errno: number;
}

export interface KernelOptions extends Partial<KernelConfig> {
  /** vmlinux BTF for btf_find_by_name_kind and kfunc/attach resolution; a small built-in one by default. */
  readonly vmlinux?: VmlinuxBtf;
  /** kallsyms for bpf_kallsyms_lookup_name. */
  readonly kallsyms?: ReadonlyMap<string, bigint>;
  /** Keyring set-up: builtin/secondary/platform certificates, which caller keyrings exist. */
  readonly keyrings?: Omit<KeyringsOptions, 'seed' | 'systemDataVerification' | 'ecdsa'>;
}

export class Kernel {
  readonly config: KernelConfig;
  readonly space = new AddressSpace();
  readonly fds = new FdTable();
  readonly objects: ObjectTable;
  readonly trace = new TraceLog();
  readonly lsm = new LsmHooks();
  readonly user: UserMemory;
  readonly keyrings: Keyrings;
  readonly vmlinux: VmlinuxBtf;
  readonly kallsyms: ReadonlyMap<string, bigint>;
  readonly prng: Prng;
  /** Lines written by bpf_trace_printk (what trace_pipe would show). */
  readonly printk: string[] = [];
  /** Virtual time, ns since boot. */
  nowNs = 1_000_000_000;
  /** Nesting: 0 while userspace runs, +1 inside each program run. */
  depth = 0;
  /** The program currently running (innermost), for helpers. */
  current: ProgObject | null = null;
  readonly helpers: HelperTable;
  readonly mapEnv: MapEnv;
  /** kfuncs by their vmlinux BTF id. */
  readonly kfuncs: ReadonlyMap<number, Helper>;
  private readonly kfuncProtos: ReadonlyMap<number, KfuncProto>;
  /** Called at the start of every program run (tests and the skeleton layer annotate runs with it). */
  readonly runObservers = new Set<(prog: ProgObject) => void>();
  /** Attached programs per raw tracepoint. */
  readonly tracepoints = new Map<string, LinkObject[]>();
  private readonly vmlinuxObj: BtfObject;
  private readonly vms: Vm[] = [];
  private memoryUsed = 0;
  private bpfCount = 0;
  private faults: FaultInjection[] = [];
  private pendingPuts: Array<{ at: number; obj: KernelObject }> = [];

  constructor(opts: KernelOptions = {}) {
    const { vmlinux, kallsyms, keyrings, ...cfg } = opts;
    this.config = { ...DEFAULT_CONFIG, ...cfg };
    this.prng = new Prng(this.config.seed);
    this.user = new UserMemory(this.space);
    this.objects = new ObjectTable((o) => this.release(o));
    this.keyrings = new Keyrings({
      ...keyrings,
      seed: this.config.seed,
      systemDataVerification: this.config.systemDataVerification,
      ecdsa: this.config.ecdsa,
    });
    this.vmlinux = vmlinux ?? defaultVmlinux();
    this.kallsyms = kallsyms ?? DEFAULT_KALLSYMS;
    this.helpers = buildHelpers(this);
    const kf = new Map<number, Helper>();
    const protos = new Map<number, KfuncProto>();
    for (const [name, { fn, proto }] of KFUNCS_BY_NAME) {
      const id = this.vmlinux.findByNameKind(name, BTF_KIND.FUNC);
      if (id > 0) { kf.set(id, fn); protos.set(id, proto); }
    }
    this.kfuncs = kf;
    this.kfuncProtos = protos;
    // vmlinux BTF is object id 1, held by the kernel for its lifetime (btf_vmlinux).
    this.vmlinuxObj = this.objects.add({
      kind: 'btf', id: this.objects.allocId('btf'), refcnt: 1, freed: false, bytes: this.vmlinux.bytes,
      btf: this.vmlinux.btf, name: 'vmlinux', kernelBtf: true,
    } satisfies BtfObject);
    this.mapEnv = {
      space: this.space,
      nrCpus: this.config.nrCpus,
      caps: { perfmon: this.config.caps.perfmon, sysAdmin: this.config.caps.sysAdmin },
      currentCpu: () => 0,
      charge: (bytes: number) => {
        if (this.memoryUsed + bytes > this.config.memoryLimit) throw new KernelError('ENOMEM');
        this.memoryUsed += bytes;
      },
      uncharge: (bytes: number) => { this.memoryUsed = Math.max(0, this.memoryUsed - bytes); },
    };
  }

  /** sizeof(union bpf_attr) of this kernel. */
  get attrUnionSize(): number {
    return this.config.scheme === 'hash-chain' ? BPF_ATTR_SIZE_HASH_CHAIN : BPF_ATTR_SIZE;
  }

  // ------------------------------------------------------------------ syscalls

  /**
   * bpf(2) from the process: `attr` is the address of `size` bytes of user memory holding the
   * attr (outputs such as test.retval are written back there). Returns the result or -errno.
   */
  bpf(cmd: number, attr: bigint, size: number): number {
    return this.sysBpf(cmd, attr, size, false);
  }

  /** bpf(2) with the attr given as bytes: copied into user memory, outputs copied back into `attr`. */
  bpfBytes(cmd: number, attr: Uint8Array, size = attr.length): number {
    const buf = this.user.alloc(attr, { name: 'attr' });
    try {
      return this.sysBpf(cmd, buf.addr, size, false);
    } finally {
      attr.set(buf.bytes.subarray(0, attr.length));
      this.user.free(buf.addr);
    }
  }

  /**
   * __sys_bpf: the generic size rules, the copy-in, security_bpf, then the command. `isKernel`
   * marks re-entries from bpf_sys_bpf (attr and its pointers are kernel addresses).
   */
  sysBpf(cmd: number, attrPtr: bigint, size: number, isKernel: boolean): number {
    // The syscall ABI: `int cmd, union bpf_attr __user *uattr, unsigned int size` (a JS caller's
    // out-of-range numbers are truncated the way the C types would truncate them).
    cmd |= 0;
    size >>>= 0;
    attrPtr = BigInt.asUintN(64, attrPtr);
    // A bpf(2) from the process passes the syscall entry tracepoint; bpf_sys_bpf does not.
    if (!isKernel) this.syscallEnter(SYS_bpf, [BigInt(cmd), attrPtr, BigInt(size)]);
    const caller = isKernel ? 'kernel' : 'user';
    const count = ++this.bpfCount;
    this.tick(1000);
    const union = this.attrUnionSize;
    const copied = size > 0 ? this.copyFromBpfptr(attrPtr, Math.min(size >>> 0, union), isKernel) : new Uint8Array(0);
    const bytes = new Uint8Array(union);
    if (copied) bytes.set(copied);
    const attr = new AttrBytes(bytes);
    const summary = copied ? summarizeAttr(cmd, attr, this) : {};
    const name = cmdName(cmd);
    this.emit({ type: 'bpf', phase: 'enter', caller, cmd, cmdName: name, attrSize: size, attr: summary });
    const finish = (ret: number, extra: { retval?: number } = {}) => {
      this.emit({
        type: 'bpf', phase: 'exit', caller, cmd, cmdName: name, attrSize: size, attr: summary, ret,
        ...(ret < 0 ? { errno: errnoName(ret) } : {}), ...extra,
      });
      return ret;
    };
    const injected = this.faults.find((f) => (f.nth !== undefined && f.nth === count) || (f.match?.(cmd, isKernel, count) ?? false));
    if (injected) return finish(-Math.abs(injected.errno));

    // bpf_check_uarg_tail_zero(uattr, sizeof(attr), size)
    if (size >>> 0 > PAGE_SIZE) return finish(-ERRNO.E2BIG);
    if (size > union) {
      // Read in order: a non-zero byte before an unreadable one is E2BIG, not EFAULT.
      const tail = checkZeroed(this, attrPtr + BigInt(union), size - union, isKernel);
      if (tail === 'nonzero') return finish(-ERRNO.E2BIG);
      if (tail === 'fault') return finish(-ERRNO.EFAULT);
    }
    if (size > 0 && !copied) return finish(-ERRNO.EFAULT);
    const sec = this.lsmCall({ hook: 'security_bpf', cmd, attr, size: Math.min(size, union), isKernel }, { cmd: name });
    if (sec !== 0) return finish(sec);
    const handler = COMMAND_HANDLERS.get(cmd);
    if (!handler) return finish(-ERRNO.EINVAL);
    const ctx: SysCtx = { attrPtr, size: Math.min(size, union), isKernel, attr };
    let ret: number;
    try {
      ret = handler(this, attr, ctx);
    } catch (e) {
      if (e instanceof KernelError) ret = -e.errno;
      else throw e;
    }
    if (cmd === BPF_CMD.BPF_PROG_TEST_RUN && ret === 0) return finish(ret, { retval: attr.s32(4) });
    return finish(ret);
  }

  /** close(2) of an fd of the process (or sys_close from a program when `isKernel`). */
  close(fd: number, isKernel = false): number {
    fd |= 0; // close(unsigned int fd) → an int fd table index; non-integers are not fds
    if (!isKernel) this.syscallEnter(SYS_close, [BigInt(fd)]);
    const e = this.fds.remove(fd);
    const ret = e ? 0 : -ERRNO.EBADF;
    this.emit({ type: 'close', caller: isKernel ? 'kernel' : 'user', fd, ret, ...(ret < 0 ? { errno: 'EBADF' } : {}) });
    if (e?.type === 'bpf') {
      const o = e.obj;
      if (o.kind === 'map' && --o.usercnt === 0 && o.map.kind === 'prog_array') o.map.releaseUref();
      this.objects.put(o);
    }
    return ret;
  }

  // ------------------------------------------------------------------ objects and fds

  /**
   * bpf_{map,prog,link,btf}_new_fd: install an fd holding the caller's reference (EMFILE at the
   * limit). Map fds are also user references (usercnt).
   */
  installFd(obj: KernelObject, fmode = FMODE_CAN_READ | FMODE_CAN_WRITE): number {
    const fd = this.fds.install({ type: 'bpf', obj, fmode });
    if (fd < 0) throw new KernelError('EMFILE');
    if (obj.kind === 'map') obj.usercnt++;
    return fd;
  }

  fdEntry(fd: number): FdEntry | undefined {
    return this.fds.get(fd);
  }

  /** The map behind an fd (__bpf_map_get): EBADF when the fd is not open, EINVAL when not a map. */
  mapFromFd(fd: number): { obj: MapObject; fmode: number } {
    const e = this.fds.get(fd);
    if (!e) throw new KernelError('EBADF');
    if (e.type !== 'bpf' || e.obj.kind !== 'map') throw new KernelError('EINVAL');
    return { obj: e.obj, fmode: e.fmode };
  }

  /** bpf_prog_get: EBADF when not open, EINVAL when not a program. */
  progFromFd(fd: number): ProgObject {
    const e = this.fds.get(fd);
    if (!e) throw new KernelError('EBADF');
    if (e.type !== 'bpf' || e.obj.kind !== 'prog') throw new KernelError('EINVAL');
    return e.obj;
  }

  /** An object's references were all dropped: release what it holds. */
  private release(o: KernelObject): void {
    this.emit({ type: 'object', action: 'free', kind: o.kind, id: o.id, name: 'name' in o ? o.name : '' });
    switch (o.kind) {
      case 'map':
        o.map.free();
        if (o.btf) this.objects.put(o.btf);
        break;
      case 'prog':
        // A sleepable program's maps stay alive until an RCU tasks-trace grace period has passed
        // (fixtures/README.md §3.4: __loader.map lingers ~0.3 s).
        for (const m of o.usedMaps) {
          if (o.sleepable) this.pendingPuts.push({ at: this.nowNs + this.config.rcuTasksTraceGraceNs, obj: m });
          else this.objects.put(m);
        }
        if (o.btf) this.objects.put(o.btf);
        if (o.attachBtfObj) this.objects.put(o.attachBtfObj);
        break;
      case 'link': {
        if (o.tpName) {
          const list = (this.tracepoints.get(o.tpName) ?? []).filter((l) => l !== o);
          this.tracepoints.set(o.tpName, list);
        }
        this.objects.put(o.prog);
        break;
      }
      case 'btf':
        break;
    }
  }

  /** Advance virtual time, completing deferred frees whose grace period ended. */
  advanceTime(ns: number): void {
    this.tick(ns);
  }

  /** Complete every deferred free now (as if all grace periods elapsed). */
  settle(): void {
    const last = this.pendingPuts.reduce((m, p) => Math.max(m, p.at), this.nowNs);
    this.tick(last - this.nowNs);
  }

  private tick(ns: number): void {
    this.nowNs += Math.max(0, ns);
    if (this.pendingPuts.length === 0) return;
    const due = this.pendingPuts.filter((p) => p.at <= this.nowNs);
    if (due.length === 0) return;
    this.pendingPuts = this.pendingPuts.filter((p) => p.at > this.nowNs);
    for (const p of due) this.objects.put(p.obj);
  }

  /** The prototype of the kfunc with this vmlinux BTF id, for the verifier. */
  kfuncProto(btfId: number): KfuncProto | null {
    return this.kfuncProtos.get(btfId) ?? null;
  }

  /** The vmlinux BTF object (bpf_get_btf_vmlinux). */
  vmlinuxObject(): BtfObject {
    return this.vmlinuxObj;
  }

  /** Register an attached link on a raw tracepoint. */
  attach(tp: string, link: LinkObject): void {
    const list = this.tracepoints.get(tp) ?? [];
    list.push(link);
    this.tracepoints.set(tp, list);
  }

  /**
   * Fire a raw tracepoint: every attached program runs with its context = the u64 argument array
   * (struct bpf_raw_tracepoint_args; tp_btf programs see the same array). Returns the runs.
   */
  fireTracepoint(tp: string, args: readonly bigint[]): RunResult[] {
    const links = this.tracepoints.get(tp);
    if (!links || links.length === 0) return [];
    const ctx = new Uint8Array(args.length * 8);
    const dv = new DataView(ctx.buffer);
    args.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, v), true));
    const region = this.mapKernel(ctx, 'ctx', `${tp} args`, PERM_RW);
    try {
      return [...links].map((l) => this.runProgram(l.prog, region.base));
    } finally {
      this.space.unmap(region);
    }
  }

  /**
   * The modelled process makes a system call (x86-64 number): sys_enter fires with
   * (struct pt_regs *regs, long id), like the real tracepoint. Returns the syscall's result for the
   * few the model implements (getpid → the pid), else 0.
   */
  syscall(nr: number, args: readonly bigint[] = []): number {
    this.syscallEnter(nr, args);
    return nr === SYS_getpid ? this.config.pid : 0;
  }

  /** The raw_syscalls:sys_enter tracepoint for a syscall of the process. */
  syscallEnter(nr: number, args: readonly bigint[] = []): void {
    this.tick(500);
    if ((this.tracepoints.get('sys_enter')?.length ?? 0) > 0) {
      // pt_regs: di, si, dx, r10, r8, r9 at their x86-64 offsets; orig_ax = nr.
      const regs = new Uint8Array(168);
      const dv = new DataView(regs.buffer);
      const offs = [112, 104, 96, 56, 72, 64];
      args.slice(0, 6).forEach((v, i) => dv.setBigUint64(offs[i], BigInt.asUintN(64, v), true));
      dv.setBigUint64(120, BigInt(nr), true);
      const r = this.mapKernel(regs, 'kernel_object', 'pt_regs', PERM_RW);
      try {
        this.fireTracepoint('sys_enter', [r.base, BigInt(nr)]);
      } finally {
        this.space.unmap(r);
      }
    }
  }

  // ------------------------------------------------------------------ memory

  /**
   * copy_from_bpfptr: `len` bytes at `ptr`, from kernel memory when `isKernel` (bpf_sys_bpf
   * attrs) or from user memory otherwise; null when any byte is unmapped (EFAULT).
   */
  copyFromBpfptr(ptr: bigint, len: number, isKernel: boolean): Uint8Array | null {
    if (len === 0) return new Uint8Array(0);
    const at = this.space.resolve(ptr, len);
    if (!at || at.region.kernel !== isKernel) return null;
    return at.region.bytes.slice(at.offset, at.offset + len);
  }

  /**
   * copy_to_bpfptr; false on EFAULT. User memory must be writable (copy_to_user faults on a
   * read-only mapping); kernel memory is the kernel's own and ignores program permissions.
   */
  copyToBpfptr(ptr: bigint, data: Uint8Array, isKernel: boolean): boolean {
    if (data.length === 0) return true;
    const at = this.space.resolve(ptr, data.length, isKernel ? 0 : PERM_W);
    if (!at || at.region.kernel !== isKernel) return false;
    at.region.bytes.set(data, at.offset);
    return true;
  }

  /** Map a kernel-side buffer (program contexts, packets) into the address space. */
  mapKernel(bytes: Uint8Array, kind: Region['kind'], name: string, perm?: number): Region {
    return this.space.map(bytes, { kind, name, kernel: true, ...(perm === undefined ? {} : { perm }) });
  }

  // ------------------------------------------------------------------ program runs

  /**
   * Run a loaded program with r1 = `ctx` (and optionally a packet for ld_abs/ld_ind). Nested runs
   * (a program triggering another) get their own VM.
   */
  runProgram(prog: ProgObject, ctx: bigint, packet: Region | null = null): RunResult {
    const vm = this.vmAt(this.depth);
    const saved = this.current;
    this.current = prog;
    this.depth++;
    this.emit({ type: 'prog_run', phase: 'start', prog: prog.name, progId: prog.id, progType: prog.progType });
    for (const obs of this.runObservers) obs(prog);
    vm.regs.fill(0);
    vm.setReg(1, ctx);
    vm.packetSlot = packet ? packet.slot : -1;
    vm.packetLen = packet ? packet.bytes.length : 0;
    let result: RunResult;
    try {
      result = vm.run(prog.runnable);
    } finally {
      this.depth--;
      this.current = saved;
    }
    prog.runCnt++;
    this.tick(result.insns);
    prog.runTimeNs += result.insns;
    this.emit(result.status === 'exit'
      ? { type: 'prog_run', phase: 'end', prog: prog.name, progId: prog.id, progType: prog.progType, retval: Number(BigInt.asIntN(32, result.r0)), insns: result.insns }
      : { type: 'prog_run', phase: 'end', prog: prog.name, progId: prog.id, progType: prog.progType, insns: result.insns, fault: `${result.fault.kind} at insn ${result.fault.pc}: ${result.fault.message}` });
    return result;
  }

  private vmAt(depth: number): Vm {
    while (this.vms.length <= depth) {
      this.vms.push(new Vm(this.space, {
        helpers: this.helpers,
        kfuncs: this.kfuncs,
        tailCall: tailCallHook(this),
        budget: this.config.runBudget,
      }));
    }
    return this.vms[depth];
  }

  // ------------------------------------------------------------------ LSM, trace, faults

  /** Call an LSM hook (user policies) and record it. */
  lsmCall(ctx: LsmCtx, detail: Record<string, string | number | boolean | null> = {}): number {
    const ret = this.lsm.call(ctx);
    const isKernel = 'isKernel' in ctx ? ctx.isKernel : this.depth > 0;
    this.emit({ type: 'lsm', hook: ctx.hook, isKernel, ret, detail });
    return ret;
  }

  emit(e: TraceEventInput): void {
    this.trace.append(e, this.nowNs, this.depth);
  }

  /** Make a future bpf() command fail with an errno; returns a function that removes the injection. */
  injectFault(f: FaultInjection): () => void {
    this.faults.push(f);
    return () => { this.faults = this.faults.filter((x) => x !== f); };
  }

  /** The kernel's state as immutable data (see ./snapshot.ts; diffSnapshots compares two). */
  snapshot(): KernelSnapshot {
    return snapshotKernel(this);
  }

  /** Kernel memory charged to maps, bytes. */
  get memoryCharged(): number {
    return this.memoryUsed;
  }
}
