/**
 * Replaying the `exercise.steps` of a recorded case against a loaded skeleton: test runs, map
 * lookups/updates/dumps, global variables read through the skeleton's mmaps, attaching, getpid()
 * calls that fire the attached tracepoint programs, and ring-buffer records. Each step returns
 * what bpfsim observed, in the recording's vocabulary, so a test can compare it with the step.
 */
import { errnoName } from '../../src/errno.js';
import { BPF_CMD } from '../../src/kernel/uapi.js';
import { encodeAttr, MAP_ELEM_ATTR, TEST_RUN_ATTR } from '../../src/kernel/attr.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import type { MapObject } from '../../src/kernel/objects.js';
import type { LightSkeleton } from '../../src/skeleton/light-skeleton.js';

export type Step = Record<string, unknown> & { step: string };

/** The recordings' test packet: a 64-byte Ethernet frame with ethertype 0x0800, other bytes zero. */
export function testPacket(size = 64): Uint8Array {
  const p = new Uint8Array(size);
  p[12] = 0x08;
  return p;
}

function mapByName(k: Kernel, skel: LightSkeleton, name: string): { obj: MapObject; fd: number } {
  for (const d of skel.model.skeleton.maps) {
    const fd = skel.mapFd(d.name);
    const e = k.fdEntry(fd);
    if (e?.type === 'bpf' && e.obj.kind === 'map' && (e.obj.name === name || d.name === name || e.obj.name.endsWith(name))) return { obj: e.obj, fd };
  }
  throw new Error(`no map ${name}`);
}

function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

function leInt(b: Uint8Array): number {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return Number(v);
}

/** A map value decoded with the map's BTF value type: a number, or an object of struct members. */
function decodeValue(obj: MapObject, bytes: Uint8Array): unknown {
  const btf = obj.btf?.btf;
  if (btf && obj.btfValueTypeId) {
    const id = btf.skipModifiers(obj.btfValueTypeId);
    const t = btf.type(id);
    if (t && t.kind === 'STRUCT') {
      const out: Record<string, number> = {};
      for (const m of t.members) {
        const size = btf.resolveSize(m.type) ?? 0;
        const off = m.bitsOffset / 8;
        if (!m.name.startsWith('pad')) out[m.name] = leInt(bytes.subarray(off, off + size));
      }
      return out;
    }
  }
  return leInt(bytes);
}

/** A syscall from the modelled process, with its attr in user memory; returns [ret, attr bytes after]. */
function bpf(k: Kernel, cmd: number, attr: Uint8Array): number {
  return k.bpfBytes(cmd, attr);
}

export interface StepResult { readonly observed: Record<string, unknown> }

export function runStep(k: Kernel, skel: LightSkeleton, s: Step): StepResult {
  switch (s.step) {
    case 'test_run': {
      const prog = s.prog as string;
      const fd = skel.progFd(prog);
      const dataSize = s.data_size_in as number | undefined;
      const data = dataSize ? k.user.alloc(testPacket(dataSize)) : null;
      const out = dataSize ? k.user.alloc(dataSize + 64) : null;
      const attr = encodeAttr(TEST_RUN_ATTR, {
        prog_fd: fd, ...(data ? { data_in: data.addr, data_size_in: dataSize, data_out: out!.addr, data_size_out: dataSize! + 64 } : {}),
      }, 80);
      const ret = bpf(k, BPF_CMD.BPF_PROG_TEST_RUN, attr);
      const retval = new DataView(attr.buffer).getUint32(4, true);
      if (data) k.user.free(data.addr);
      if (out) k.user.free(out.addr);
      return { observed: { step: 'test_run', prog, ret, ...(dataSize ? { data_size_in: dataSize } : {}), retval } };
    }
    case 'map_lookup': {
      const { obj, fd } = mapByName(k, skel, s.map as string);
      const key = k.user.alloc(u32(s.key as number));
      const val = k.user.alloc(obj.map.syscallValueSize);
      const ret = bpf(k, BPF_CMD.BPF_MAP_LOOKUP_ELEM, encodeAttr(MAP_ELEM_ATTR, { map_fd: fd, key: key.addr, value: val.addr }, 32));
      const value = ret === 0 ? decodeValue(obj, val.bytes.slice(0, obj.map.valueSize)) : undefined;
      k.user.free(key.addr);
      k.user.free(val.addr);
      return { observed: { step: 'map_lookup', map: s.map, key: s.key, ...(ret === 0 ? { value } : { ret }) } };
    }
    case 'map_update': {
      const name = (s.map as string).replace(/^\./, '');
      const { obj, fd } = mapByName(k, skel, name);
      const key = k.user.alloc(u32(0));
      const val = k.user.alloc(obj.map.syscallValueSize);
      const ret = bpf(k, BPF_CMD.BPF_MAP_UPDATE_ELEM, encodeAttr(MAP_ELEM_ATTR, { map_fd: fd, key: key.addr, value: val.addr }, 32));
      k.user.free(key.addr);
      k.user.free(val.addr);
      return { observed: { step: 'map_update', map: s.map, ret: ret < 0 ? -1 : ret, ...(ret < 0 ? { errno: errnoName(ret) } : {}) } };
    }
    case 'map_dump': {
      const { obj } = mapByName(k, skel, s.map as string);
      let n = 0;
      let key: Uint8Array | null = null;
      for (;;) {
        try { key = obj.map.getNextKey(key); } catch { break; }
        n++;
      }
      return { observed: { step: 'map_dump', map: s.map, entries: n } };
    }
    case 'globals': {
      const values: Record<string, unknown> = {};
      for (const [label, want] of Object.entries(s.values as Record<string, unknown>)) {
        const [, section, name] = /^\.(\w+) (\w+)$/.exec(label)!;
        const v = Number(skel.readGlobal(`${section}.${name}`));
        values[label] = want === 'requested pid' ? (v === k.config.pid ? 'requested pid' : v) : v;
      }
      return { observed: { step: 'globals', values } };
    }
    case 'attach': {
      const ret = skel.attach();
      const linkFds = skel.model.skeleton.progs.map((p) => skel.linkFd(p.name)).filter((fd) => fd > 0);
      return { observed: { step: 'attach', ret, link_fds: linkFds } };
    }
    case 'ringbuf_record': case 'ringbuf_summary':
      throw new Error('ring buffer steps are replayed by ringbufRecords()');
    default:
      throw new Error(`no replay for step ${s.step}`);
  }
}

/** Drain a ring buffer like ring_buffer__consume and decode `struct event { u32 tgid; u32 seq; u64 ts_ns; }`. */
export function ringbufRecords(k: Kernel, skel: LightSkeleton, map: string): Array<{ tgid: number; seq: number; ts: bigint }> {
  const { obj } = mapByName(k, skel, map);
  if (obj.map.kind !== 'ringbuf') throw new Error(`${map} is not a ring buffer`);
  return obj.map.consume().map((r) => {
    const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
    return { tgid: dv.getUint32(0, true), seq: dv.getUint32(4, true), ts: dv.getBigUint64(8, true) };
  });
}
