/**
 * Kernel objects (maps, programs, BTF, links), their ids and their reference counts.
 *
 * As in Linux, an object lives while something references it: an fd, a program that uses a map,
 * a prog-array slot, a map-in-map slot, a link. Ids come from one cyclic allocator per object kind
 * (idr_alloc_cyclic starting at 1), so `__loader.map` takes the id just before the skeleton's first
 * map (fixtures/README.md §3.4). Freeing may be deferred (sleepable programs keep their maps for an
 * RCU tasks-trace grace period); see Kernel.advanceTime.
 */
import type { Program } from '../isa/program.js';
import type { BpfMap } from './maps/index.js';
import type { Btf } from './btf/index.js';

export type ObjectKind = 'map' | 'prog' | 'btf' | 'link';

interface ObjectBase {
  readonly id: number;
  refcnt: number;
  /** Set once the last reference is gone and the object left the id space. */
  freed: boolean;
}

export interface MapObject extends ObjectBase {
  readonly kind: 'map';
  readonly map: BpfMap;
  readonly name: string;
  frozen: boolean;
  /** Active writable mmaps / in-flight syscall writers (map_freeze: EBUSY while non-zero). */
  writecnt: number;
  /** User references (fds): when the last goes, a PROG_ARRAY empties itself (map_release_uref). */
  usercnt: number;
  /** excl_prog_hash given at creation: only a program with this digest may use the map. */
  readonly exclProgSha: Uint8Array | null;
  readonly btf: BtfObject | null;
  readonly btfKeyTypeId: number;
  readonly btfValueTypeId: number;
  readonly btfVmlinuxValueTypeId: number;
  readonly mapExtra: bigint;
  readonly ifindex: number;
}

/**
 * What the kernel knows about a program's signature: none given; given and verified (over the
 * instructions only, or also over map contents: hash-chain and 2026 schemes); or given and still to
 * be checked inside the verifier (2026 scheme, at the time of the LSM hook).
 */
export type SignatureStatus =
  | { readonly kind: 'unsigned' }
  | { readonly kind: 'pending'; readonly keyringId: number }
  | { readonly kind: 'verified'; readonly keyringId: number; readonly signer: string; readonly coversMaps: boolean };

export interface ProgObject extends ObjectBase {
  readonly kind: 'prog';
  readonly progType: number;
  readonly name: string;
  readonly expectedAttachType: number;
  readonly attachBtfId: number;
  readonly attachBtfObj: BtfObject | null;
  readonly sleepable: boolean;
  readonly progFlags: number;
  readonly license: string;
  readonly gplCompatible: boolean;
  /** The instructions exactly as submitted. */
  readonly insns: Uint8Array;
  /** What the interpreter runs: pseudo ld_imm64s resolved to addresses, ctx accesses converted. */
  readonly runnable: Program;
  /** SHA-256 of the instructions with MAP_FD / MAP_VALUE immediates zeroed (signing.md §4.10). */
  readonly digest: Uint8Array;
  readonly usedMaps: readonly MapObject[];
  readonly btf: BtfObject | null;
  readonly funcInfoCnt: number;
  readonly lineInfoCnt: number;
  readonly funcInfoRecSize: number;
  readonly lineInfoRecSize: number;
  readonly maxCtxOffset: number;
  readonly verifiedInsns: number;
  readonly xlatedInsnCnt: number;
  readonly loadTimeNs: number;
  readonly signature: SignatureStatus;
  runCnt: number;
  runTimeNs: number;
}

export interface BtfObject extends ObjectBase {
  readonly kind: 'btf';
  readonly bytes: Uint8Array;
  readonly btf: Btf;
  readonly name: string;
  readonly kernelBtf: boolean;
}

export interface LinkObject extends ObjectBase {
  readonly kind: 'link';
  readonly linkType: number;
  readonly prog: ProgObject;
  readonly attachType: number;
  /** Raw tracepoint links: the tracepoint name. */
  readonly tpName: string | null;
  detached: boolean;
}

export type KernelObject = MapObject | ProgObject | BtfObject | LinkObject;

/** Cyclic id allocator (idr_alloc_cyclic(…, 1, INT_MAX)). */
class IdSpace<T extends KernelObject> {
  private next = 1;
  readonly live = new Map<number, T>();

  alloc(): number {
    for (let tries = 0; tries < 0x7fffffff; tries++) {
      const id = this.next;
      this.next = this.next >= 0x7fffffff ? 1 : this.next + 1;
      if (!this.live.has(id)) return id;
    }
    throw new RangeError('id space exhausted');
  }

  /** GET_NEXT_ID: the smallest live id greater than `start`. */
  nextAfter(start: number): number | null {
    let best: number | null = null;
    for (const id of this.live.keys()) if (id > start && (best === null || id < best)) best = id;
    return best;
  }
}

/** The object tables: ids, lookups by id and by address, and reference counting. */
export class ObjectTable {
  readonly maps = new IdSpace<MapObject>();
  readonly progs = new IdSpace<ProgObject>();
  readonly btfs = new IdSpace<BtfObject>();
  readonly links = new IdSpace<LinkObject>();
  /** The kernel object of each live map implementation (helpers find maps by address through ./maps). */
  readonly mapObjects = new Map<BpfMap, MapObject>();

  constructor(private readonly onFree: (o: KernelObject) => void) {}

  space(kind: ObjectKind): IdSpace<KernelObject> {
    switch (kind) {
      case 'map': return this.maps as IdSpace<KernelObject>;
      case 'prog': return this.progs as IdSpace<KernelObject>;
      case 'btf': return this.btfs as IdSpace<KernelObject>;
      default: return this.links as IdSpace<KernelObject>;
    }
  }

  allocId(kind: ObjectKind): number {
    return this.space(kind).alloc();
  }

  /** Publish an object (refcnt 1, held by its creator). */
  add<T extends KernelObject>(o: T): T {
    this.space(o.kind).live.set(o.id, o);
    if (o.kind === 'map') this.mapObjects.set(o.map, o);
    return o;
  }

  get(o: KernelObject): void {
    o.refcnt++;
  }

  /** Drop a reference; at zero the object leaves the id space and its own references are dropped. */
  put(o: KernelObject): void {
    if (o.freed) return;
    if (--o.refcnt > 0) return;
    o.freed = true;
    this.space(o.kind).live.delete(o.id);
    if (o.kind === 'map') this.mapObjects.delete(o.map);
    this.onFree(o);
  }

  all(): KernelObject[] {
    return [...this.maps.live.values(), ...this.progs.live.values(), ...this.btfs.live.values(), ...this.links.live.values()];
  }
}
