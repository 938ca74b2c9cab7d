/**
 * Map command scripts that run both on bpfsim's maps (through a minimal fd table standing in for
 * the kernel's generic map_create / element-command code) and on the real kernel through
 * oracle/bpf-map-oracle.c, so that tests can compare the two result by result.
 */
import { KernelError } from '../../../src/errno.js';
import {
  createMap, mapAllocCheck, type BpfMap, type MapEnv, type ObjectRef,
} from '../../../src/kernel/maps/index.js';
import { BPF_F_RDONLY, BPF_F_WRONLY } from '../../../src/kernel/uapi.js';
import { toHex } from '../../../src/util/hex.js';
import { attrs } from './support.js';

export type Op =
  | { op: 'create'; type: number; key: number; value: number; max: number; flags: number; inner?: number; excl?: boolean }
  | { op: 'update'; fd: number; key: Uint8Array; value: Uint8Array; flags: bigint }
  | { op: 'updfd'; fd: number; key: Uint8Array; target: number; flags: bigint }
  | { op: 'lookup'; fd: number; key: Uint8Array; flags: bigint; len: number; ids?: boolean }
  | { op: 'delete'; fd: number; key: Uint8Array }
  | { op: 'next'; fd: number; key: Uint8Array | null; len: number }
  | { op: 'keys'; fd: number; len: number }
  | { op: 'close'; fd: number }
  | { op: 'cpu'; cpu: number }
  | { op: 'prog'; type: number; eat: number };

export type Result = { ok: true; value: string } | { ok: false; errno: number };

const hexOrDash = (b: Uint8Array | null): string => (b === null || b.length === 0 ? '-' : toHex(b));

/** The oracle's line for an op. */
export function oracleLine(o: Op): string {
  switch (o.op) {
    case 'create': return `create ${o.type} ${o.key} ${o.value} ${o.max} ${o.flags} ${o.inner ?? 0} ${o.excl ? 1 : 0}`;
    case 'update': return `update ${o.fd} ${hexOrDash(o.key)} ${hexOrDash(o.value)} ${o.flags}`;
    case 'updfd': {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setInt32(0, o.target, true);
      return `update ${o.fd} ${hexOrDash(o.key)} ${toHex(v)} ${o.flags}`;
    }
    case 'lookup': return `lookup ${o.fd} ${hexOrDash(o.key)} ${o.flags} ${o.len}`;
    case 'delete': return `delete ${o.fd} ${hexOrDash(o.key)}`;
    case 'next': return `next ${o.fd} ${hexOrDash(o.key)} ${o.len}`;
    case 'keys': return `keys ${o.fd} ${o.len}`;
    case 'close': return `close ${o.fd}`;
    case 'cpu': return `cpu ${o.cpu}`;
    case 'prog': return `prog ${o.type} ${o.eat}`;
  }
}

type FdObj = { kind: 'map'; map: BpfMap } | { kind: 'prog'; progType: number; eat: number; id: number } | { kind: 'other' };

/** Runs scripts on bpfsim maps, with Linux's fd numbering (lowest free, stdio taken). */
export class ModelRunner {
  private readonly fds = new Map<number, FdObj>([[0, { kind: 'other' }], [1, { kind: 'other' }], [2, { kind: 'other' }]]);
  private nextId = 1;

  constructor(readonly env: MapEnv & { cpu: number }) {}

  private install(o: FdObj): number {
    for (let fd = 0; ; fd++) if (!this.fds.has(fd)) {
      this.fds.set(fd, o);
      return fd;
    }
  }

  private map(fd: number): BpfMap {
    const o = this.fds.get(fd);
    if (!o) throw new KernelError('EBADF');
    if (o.kind !== 'map') throw new KernelError('EINVAL');
    return o.map;
  }

  private ref(fd: number): ObjectRef {
    const o = this.fds.get(fd);
    if (!o) throw new KernelError('EBADF');
    const noop = () => {};
    if (o.kind === 'map') return { kind: 'map', id: 1000 + fd, map: o.map, retain: noop, release: noop };
    if (o.kind === 'prog') return { kind: 'prog', id: o.id, progType: o.progType, expectedAttachType: o.eat, retain: noop, release: noop };
    throw new KernelError('EINVAL');
  }

  private exec(o: Op): string {
    switch (o.op) {
      case 'create': {
        // map_create's generic checks that can fire in these scripts: bpf_get_file_flag.
        if ((o.flags & BPF_F_RDONLY) && (o.flags & BPF_F_WRONLY)) throw new KernelError('EINVAL');
        const a = attrs({ mapType: o.type, keySize: o.key, valueSize: o.value, maxEntries: o.max, mapFlags: o.flags });
        mapAllocCheck(a, this.env);
        const mapInMap = o.type === 12 || o.type === 13;
        const inner = mapInMap ? this.map(o.inner ?? 0) : null;
        const m = createMap({ ...a, innerMap: inner }, this.env);
        if (o.excl) m.setExclusive();
        return String(this.install({ kind: 'map', map: m }));
      }
      case 'update': {
        const m = this.map(o.fd);
        m.update(o.key, o.value, o.flags);
        return '';
      }
      case 'updfd': {
        const m = this.map(o.fd);
        if (!m.updateFd) throw new KernelError('EINVAL');
        m.updateFd(o.key, () => this.ref(o.target), o.flags);
        return '';
      }
      case 'lookup': return toHex(this.map(o.fd).lookup(o.key, o.flags));
      case 'delete': this.map(o.fd).delete(o.key); return '';
      case 'next': return toHex(this.map(o.fd).getNextKey(o.key));
      case 'keys': {
        const m = this.map(o.fd);
        const out: string[] = [];
        let k: Uint8Array | null = null;
        for (let i = 0; i < 100_000; i++) {
          try {
            k = m.getNextKey(k);
          } catch (e) {
            if (e instanceof KernelError && e.errno === 2) break;
            throw e;
          }
          out.push(toHex(k));
        }
        return out.length ? out.join(',') : '-';
      }
      case 'close': this.fds.delete(o.fd); return '';
      case 'cpu': this.env.cpu = o.cpu; return '';
      case 'prog': return String(this.install({ kind: 'prog', progType: o.type, eat: o.eat, id: this.nextId++ }));
    }
  }

  run(ops: Op[]): Result[] {
    return ops.map((o) => {
      try {
        return { ok: true, value: this.exec(o) };
      } catch (e) {
        if (e instanceof KernelError) return { ok: false, errno: e.errno };
        throw e;
      }
    });
  }
}

/** Normalise for comparison: ids are per-kernel, key order of `keys` is per-implementation. */
export function comparable(o: Op, r: Result): string {
  if (!r.ok) return `err ${r.errno}`;
  if (o.op === 'keys') return `ok ${r.value === '-' ? '-' : r.value.split(',').sort().join(',')}`;
  if (o.op === 'lookup' && o.ids) return 'ok <id>';
  if (o.op === 'create' || o.op === 'prog' || o.op === 'update' || o.op === 'updfd' || o.op === 'delete' || o.op === 'close' || o.op === 'cpu') return 'ok';
  return `ok ${r.value}`;
}
