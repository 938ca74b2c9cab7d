/** Shared pieces of the map tests: an environment with accounting, attribute builders, byte helpers. */
import { expect } from 'vitest';
import { KernelError } from '../../../src/errno.js';
import { AddressSpace } from '../../../src/interpreter/memory.js';
import {
  createMap, type BpfMap, type MapCaps, type MapCreateAttrs, type MapEnv, type MapRef, type ProgRef,
} from '../../../src/kernel/maps/index.js';
import { BPF_MAP_TYPE } from '../../../src/kernel/uapi.js';

export const T = BPF_MAP_TYPE;

export interface TestEnv extends MapEnv {
  cpu: number;
  used: number;
  readonly limit: number;
}

/** A MapEnv over a fresh address space, with a memory limit and a settable current CPU. */
export function testEnv(opts: { nrCpus?: number; limit?: number; caps?: MapCaps; space?: AddressSpace } = {}): TestEnv {
  const env: TestEnv = {
    space: opts.space ?? new AddressSpace(),
    nrCpus: opts.nrCpus ?? 2,
    cpu: 0,
    used: 0,
    limit: opts.limit ?? 256 * 1024 * 1024,
    currentCpu: () => env.cpu,
    charge(bytes: number) {
      if (env.used + bytes > env.limit) throw new KernelError('ENOMEM');
      env.used += bytes;
    },
    uncharge(bytes: number) {
      env.used -= bytes;
    },
    ...(opts.caps ? { caps: opts.caps } : {}),
  };
  return env;
}

export function attrs(p: Partial<MapCreateAttrs> & Pick<MapCreateAttrs, 'mapType'>): MapCreateAttrs {
  return {
    keySize: 4, valueSize: 4, maxEntries: 1, mapFlags: 0, numaNode: 0, name: '', mapExtra: 0n,
    btfFd: 0, btfKeyTypeId: 0, btfValueTypeId: 0, btfVmlinuxValueTypeId: 0, innerMap: null, ...p,
  };
}

export function make(env: MapEnv, p: Partial<MapCreateAttrs> & Pick<MapCreateAttrs, 'mapType'>): BpfMap {
  return createMap(attrs(p), env);
}

/** The errno a thunk throws as a KernelError (fails the test on success or another exception). */
export function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
  throw new Error('expected a KernelError, got success');
}

/** 0 when the thunk succeeds, else the KernelError's errno. */
export function errnoOrZero(f: () => unknown): number {
  try {
    f();
    return 0;
  } catch (e) {
    if (e instanceof KernelError) return e.errno;
    throw e;
  }
}

export function u32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
}

export function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

export function readU32(b: Uint8Array, off = 0): number {
  return new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(off, true);
}

export function bytes(...v: number[]): Uint8Array {
  return Uint8Array.from(v);
}

/** Read memory as a program would (no permission check beyond mapping). */
export function peek(env: MapEnv, addr: bigint, len: number): Uint8Array {
  const at = env.space.resolve(addr, len);
  expect(at, `address 0x${addr.toString(16)} (+${len}) is mapped`).not.toBeNull();
  return at!.region.bytes.slice(at!.offset, at!.offset + len);
}

export function poke(env: MapEnv, addr: bigint, data: Uint8Array): void {
  expect(env.space.write(addr, data, true)).toBe(true);
}

/** Object references with counters, as the kernel would hand them to fd maps. */
export function progRef(id: number, progType = 1, expectedAttachType = 0): ProgRef & { refs: number } {
  const r = {
    kind: 'prog' as const, id, progType, expectedAttachType, refs: 0,
    retain() { r.refs++; },
    release() { r.refs--; },
  };
  return r;
}

export function mapRef(id: number, map: BpfMap): MapRef & { refs: number } {
  const r = {
    kind: 'map' as const, id, map, refs: 0,
    retain() { r.refs++; },
    release() { r.refs--; },
  };
  return r;
}

/** Slot numbers of the live regions (for "nothing leaked" checks). */
export function liveSlots(space: AddressSpace): number[] {
  return space.live().map((r) => r.slot);
}
