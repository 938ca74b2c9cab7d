/**
 * Object lifetimes and fd numbers, as in Linux: an object lives while an fd or another object
 * references it (a program using a map, a program in a prog array, a map in a map-in-map, a link
 * holding its program, BTF held by maps and programs); its id leaves the id space when the last
 * reference goes (and is not handed out again right away: ids are allocated cyclically); a
 * sleepable program's maps outlive it for an RCU tasks-trace grace period (`__loader.map`,
 * fixtures/README.md §3.4); new fds are the lowest free numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KernelError } from '../../../src/errno.js';
import { BpfApi } from '../../../src/kernel/api.js';
import { encodeAttr, FD_BY_ID_ATTR, RAW_TP_OPEN_ATTR } from '../../../src/kernel/attr.js';
import { FIXTURE_KERNEL } from '../../../src/kernel/config.js';
import { encodeBtf } from '../../../src/kernel/btf/encode.js';
import { Kernel } from '../../../src/kernel/kernel.js';
import type { ObjectKind } from '../../../src/kernel/objects.js';
import { BPF_CMD, BPF_F_SLEEPABLE, BPF_MAP_TYPE as M, BPF_PROG_TYPE as P } from '../../../src/kernel/uapi.js';
import { LightSkeleton } from '../../../src/skeleton/light-skeleton.js';
import { parseLskel } from '../../../src/skeleton/lskel-parse.js';
import { FIXTURES } from '../../support/paths.js';

const u32 = (v: number) => Uint8Array.of(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);

/** `r1 = map_fd ll` for each fd, then `r0 = ret; exit`. */
function usingMaps(fds: readonly number[], ret = 0): Uint8Array {
  const out = new Uint8Array(16 * fds.length + 16);
  const dv = new DataView(out.buffer);
  fds.forEach((fd, i) => {
    out[16 * i] = 0x18; // BPF_LD | BPF_IMM | BPF_DW
    out[16 * i + 1] = 0x11; // dst r1, src BPF_PSEUDO_MAP_FD
    dv.setInt32(16 * i + 4, fd, true);
  });
  const o = 16 * fds.length;
  out[o] = 0xb7; dv.setInt32(o + 4, ret, true); // r0 = ret
  out[o + 8] = 0x95; // exit
  return out;
}

function setup(opts: ConstructorParameters<typeof Kernel>[0] = {}) {
  const k = new Kernel(opts);
  const api = new BpfApi(k);
  const live = (kind: ObjectKind, id: number) => k.objects.space(kind).live.has(id);
  const idOf = (fd: number) => {
    const e = k.fdEntry(fd);
    if (e?.type !== 'bpf') throw new Error(`fd ${fd} is not a BPF object`);
    return e.obj.id;
  };
  const refcnt = (kind: ObjectKind, id: number) => k.objects.space(kind).live.get(id)?.refcnt ?? 0;
  /** BPF_*_GET_FD_BY_ID: a new fd, or -errno. */
  const fdById = (cmd: number, id: number) => k.bpfBytes(cmd, encodeAttr(FD_BY_ID_ATTR, { id }, 12));
  const array = (name = 'a', valueSize = 8, maxEntries = 4) => api.mapCreate({ type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries, name });
  const prog = (type: number, insns: Uint8Array, flags = 0) => api.progLoad({ type, insns, flags, logLevel: 0 }).fd;
  return { k, api, live, idOf, refcnt, fdById, array, prog };
}

describe('file descriptors', () => {
  it('a new fd is the lowest free number (stdio holds 0–2)', () => {
    const { k, api, array } = setup();
    expect([array(), array(), array()]).toEqual([3, 4, 5]);
    api.close(4);
    expect(array()).toBe(4);
    api.close(3);
    api.close(5);
    expect(array()).toBe(3);
    expect(array()).toBe(5);
    // Closing stdio frees its number too.
    expect(k.close(0)).toBe(0);
    expect(array()).toBe(0);
  });

  it('a closed fd is EBADF for close() and every command, and its number is reused', () => {
    const { k, api, array } = setup();
    const fd = array();
    api.close(fd);
    expect(k.close(fd)).toBe(-9);
    expect(() => api.mapLookup(fd, u32(0), 8)).toThrow(expect.objectContaining({ errno: 9 }));
    expect(array()).toBe(fd);
  });

  it('two fds of one map: closing one leaves the map to the other', () => {
    const { api, array, idOf, fdById, live } = setup();
    const fd = array();
    const id = idOf(fd);
    const fd2 = fdById(BPF_CMD.BPF_MAP_GET_FD_BY_ID, id);
    expect(fd2).toBe(fd + 1);
    api.mapUpdate(fd, u32(1), new Uint8Array(8).fill(7));
    api.close(fd);
    expect(live('map', id)).toBe(true);
    expect(api.mapLookup(fd2, u32(1), 8)).toEqual(new Uint8Array(8).fill(7));
    api.close(fd2);
    expect(live('map', id)).toBe(false);
  });
});

describe('references between objects', () => {
  it('a map lives while a program uses it; its id leaves when the program goes', () => {
    const { api, array, prog, idOf, live, fdById } = setup();
    const mfd = array();
    const mid = idOf(mfd);
    const pfd = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([mfd]));
    const pid = idOf(pfd);
    api.close(mfd);
    expect(live('map', mid)).toBe(true);
    // Still reachable by id, and usable through the new fd.
    const again = fdById(BPF_CMD.BPF_MAP_GET_FD_BY_ID, mid);
    expect(again).toBeGreaterThan(2);
    api.close(again);
    api.close(pfd);
    expect(live('prog', pid)).toBe(false);
    expect(live('map', mid)).toBe(false);
    expect(fdById(BPF_CMD.BPF_MAP_GET_FD_BY_ID, mid)).toBe(-2);
  });

  it('a program lives while a prog array holds it; releasing the array\'s last fd empties it', () => {
    const { api, prog, idOf, live, refcnt } = setup();
    const pa = api.mapCreate({ type: M.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, name: 'jmp' });
    const pfd = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([], 1));
    const pid = idOf(pfd);
    api.mapUpdate(pa, u32(0), u32(pfd));
    expect(refcnt('prog', pid)).toBe(2);
    api.close(pfd);
    expect(live('prog', pid)).toBe(true);
    // The slot reads back as the program's id (map_fd_sys_lookup_elem).
    expect(api.mapLookup(pa, u32(0), 4)).toEqual(u32(pid));
    api.mapDelete(pa, u32(0));
    expect(live('prog', pid)).toBe(false);

    // Again, but this time the prog array's last user fd goes (map_release_uref clears the slots).
    const pfd2 = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([], 1));
    const pid2 = idOf(pfd2);
    api.mapUpdate(pa, u32(1), u32(pfd2));
    api.close(pfd2);
    expect(live('prog', pid2)).toBe(true);
    api.close(pa);
    expect(live('prog', pid2)).toBe(false);
  });

  it('a prog array used by a program survives its fd, but its slots are cleared (uref)', () => {
    const { api, prog, idOf, live } = setup();
    const pa = api.mapCreate({ type: M.BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, name: 'jmp' });
    const user = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([pa]));
    const target = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([], 1));
    const [paId, targetId] = [idOf(pa), idOf(target)];
    api.mapUpdate(pa, u32(0), u32(target));
    api.close(target);
    api.close(pa);
    expect(live('map', paId)).toBe(true); // the using program holds the array
    expect(live('prog', targetId)).toBe(false); // but the last user reference cleared its slots
    api.close(user);
    expect(live('map', paId)).toBe(false);
  });

  it('an inner map lives while a map-in-map holds it; freeing the outer map frees it', () => {
    const { api, array, idOf, live } = setup();
    const template = array('tpl');
    const outer = api.mapCreate({ type: M.BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMapFd: template, name: 'outer' });
    const inner = array('inner');
    const [innerId, outerId, tplId] = [idOf(inner), idOf(outer), idOf(template)];
    api.mapUpdate(outer, u32(1), u32(inner));
    api.close(inner);
    api.close(template);
    expect(live('map', innerId)).toBe(true);
    // The template is only a template: the outer map does not hold it.
    expect(live('map', tplId)).toBe(false);
    expect(api.mapLookup(outer, u32(1), 4)).toEqual(u32(innerId));
    api.close(outer);
    expect(live('map', outerId)).toBe(false);
    expect(live('map', innerId)).toBe(false);
  });

  it('a link holds its program; the program goes with the link', () => {
    const { k, api, prog, idOf, live } = setup();
    const pfd = prog(P.BPF_PROG_TYPE_RAW_TRACEPOINT, usingMaps([]));
    const pid = idOf(pfd);
    const name = k.user.alloc(new TextEncoder().encode('sys_enter\0'));
    const link = k.bpfBytes(BPF_CMD.BPF_RAW_TRACEPOINT_OPEN, encodeAttr(RAW_TP_OPEN_ATTR, { name: name.addr, prog_fd: pfd }, 16));
    k.user.free(name.addr);
    expect(link).toBe(pfd + 1);
    const lid = idOf(link);
    api.close(pfd);
    expect(live('prog', pid)).toBe(true);
    // The attached program still runs on its tracepoint (every syscall of the process enters it,
    // the close() above included).
    const runs = k.objects.progs.live.get(pid)?.runCnt ?? -1;
    expect(runs).toBeGreaterThan(0);
    k.syscall(39);
    expect(k.objects.progs.live.get(pid)?.runCnt).toBe(runs + 1);
    api.close(link);
    expect(live('link', lid)).toBe(false);
    expect(live('prog', pid)).toBe(false);
    expect(k.tracepoints.get('sys_enter') ?? []).toEqual([]);
  });

  it('BTF lives while a map or a program holds it', () => {
    const { k, api, idOf, live, fdById } = setup();
    // int; int (void) as FUNC_PROTO; FUNC "f" of that prototype.
    const btfBytes = encodeBtf([
      { kind: 'INT', name: 'int', size: 4, encoding: 1, bitsOffset: 0, nrBits: 32 },
      { kind: 'FUNC_PROTO', name: '', returnType: 1, params: [] },
      { kind: 'FUNC', name: 'f', type: 2, linkage: 1 },
    ]);
    const btf = api.btfLoad(btfBytes).fd;
    const btfId = idOf(btf);
    const map = api.mapCreate({ type: M.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'typed', btfFd: btf, btfKeyTypeId: 1, btfValueTypeId: 1 });
    // A program with func_info takes the BTF as well (check_btf_info_early).
    const finfo = k.user.alloc(Uint8Array.of(0, 0, 0, 0, 3, 0, 0, 0)); // {insn_off 0, type_id 3}
    const insns = k.user.alloc(usingMaps([]));
    const license = k.user.alloc(new TextEncoder().encode('GPL\0'));
    const attr = new Uint8Array(168);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, P.BPF_PROG_TYPE_SOCKET_FILTER, true); dv.setUint32(4, 2, true);
    dv.setBigUint64(8, insns.addr, true); dv.setBigUint64(16, license.addr, true);
    dv.setUint32(72, btf, true); dv.setUint32(76, 8, true); dv.setBigUint64(80, finfo.addr, true); dv.setUint32(88, 1, true);
    const prog = k.bpfBytes(BPF_CMD.BPF_PROG_LOAD, attr);
    for (const b of [finfo, insns, license]) k.user.free(b.addr);
    expect(prog).toBeGreaterThan(2);
    api.close(btf);
    expect(live('btf', btfId)).toBe(true);
    const again = fdById(BPF_CMD.BPF_BTF_GET_FD_BY_ID, btfId);
    expect(again).toBeGreaterThan(2);
    api.close(again);
    api.close(map);
    expect(live('btf', btfId)).toBe(true); // the program still holds it
    api.close(prog);
    expect(live('btf', btfId)).toBe(false);
  });

  it('a failed load drops every reference it took (maps, BTF)', () => {
    const { k, api, array, idOf, refcnt } = setup();
    const mfd = array();
    const mid = idOf(mfd);
    // `r1 = map ll; exit` without r0 set: the verifier rejects it after taking the map.
    const bad = usingMaps([mfd]).subarray(0, 16 + 8);
    bad.set([0x95, 0, 0, 0, 0, 0, 0, 0], 16);
    const before = k.snapshot();
    expect(() => api.progLoad({ type: P.BPF_PROG_TYPE_SOCKET_FILTER, insns: bad, logLevel: 0 })).toThrow(KernelError);
    expect(refcnt('map', mid)).toBe(1);
    expect(k.snapshot().objects).toEqual(before.objects);
  });
});

describe('ids', () => {
  it('leave the id space with the last reference and are not reused right away', () => {
    const { api, array, idOf, live } = setup();
    const a = array();
    const b = array();
    const [ia, ib] = [idOf(a), idOf(b)];
    expect(ib).toBe(ia + 1);
    api.close(a);
    expect(live('map', ia)).toBe(false);
    // idr_alloc_cyclic: the next id follows the last one handed out, not the freed one.
    expect(idOf(array())).toBe(ib + 1);
  });
});

describe('sleepable programs and the RCU tasks-trace grace period', () => {
  it('a sleepable program\'s maps outlive it by one grace period; a non-sleepable one\'s do not', () => {
    const { k, api, array, prog, idOf, live } = setup();
    const grace = k.config.rcuTasksTraceGraceNs;
    const m1 = array('m1');
    const m2 = array('m2');
    const [id1, id2] = [idOf(m1), idOf(m2)];
    const sleepy = prog(P.BPF_PROG_TYPE_SYSCALL, usingMaps([m1]), BPF_F_SLEEPABLE);
    const plain = prog(P.BPF_PROG_TYPE_SOCKET_FILTER, usingMaps([m2]));
    api.close(m1);
    api.close(m2);
    api.close(plain);
    expect(live('map', id2)).toBe(false);
    api.close(sleepy);
    expect(live('map', id1)).toBe(true);
    k.advanceTime(grace - 1_000_000);
    expect(live('map', id1)).toBe(true);
    k.advanceTime(2_000_000);
    expect(live('map', id1)).toBe(false);
  });

  it('__loader.map lingers after a skeleton load until kernel.settle() (fixtures/README.md §3.4)', () => {
    const file = 'minimal.v78.lskel.h';
    const model = parseLskel(readFileSync(join(FIXTURES, 'lskel', file), 'utf8'), file);
    const k = new Kernel({ ...FIXTURE_KERNEL });
    const skel = LightSkeleton.open(k, model);
    expect(skel.load().skelLoad).toBe(0);
    const loaderMap = () => [...k.objects.maps.live.values()].find((m) => m.name === '__loader.map');
    const lingering = loaderMap();
    expect(lingering).toBeDefined();
    // Nothing holds it but the deferred put of the freed sleepable loader program.
    expect(k.fds.list().some(([, e]) => e.type === 'bpf' && e.obj === lingering)).toBe(false);
    expect([...k.objects.progs.live.values()].some((p) => p.name === '__loader.prog')).toBe(false);
    k.settle();
    expect(loaderMap()).toBeUndefined();
    skel.destroy();
    k.settle();
    expect(k.objects.all().map((o) => o.kind)).toEqual(['btf']); // vmlinux only
    expect(k.fds.list().map(([fd]) => fd)).toEqual([0, 1, 2]);
  });
});
