/**
 * The LRU lists behind LRU_HASH and LRU_PERCPU_HASH: a port of kernel/bpf/bpf_lru_list.c
 * (6.18, with the 6.16 `target_free` sizing), over node indexes instead of list_heads.
 *
 * How Linux evicts, and therefore bpfsim: nodes live on an active list, an inactive list or a free
 * list, and carry a reference bit that a program's lookup sets (a syscall lookup does not). With
 * the common LRU (the default), each CPU takes free nodes from the global free list into a local
 * free list `target_free` at a time (clamp(max_entries / nr_cpus / 2, 1, 128)); new elements sit
 * on the CPU's local pending list until its next refill flushes them to the global lists. When the
 * global free list is empty, a refill first rotates the lists (referenced nodes move to the active
 * list), then *shrinks* the inactive list from its tail: it evicts up to `target_free` unreferenced
 * elements at once. So inserting into a full LRU map evicts the least recently used element(s) —
 * several at once when target_free > 1 — and an element referenced by a program since the last
 * rotation survives a round. If nothing can be shrunk, one element is evicted ignoring the
 * reference bits, and as a last resort nodes are stolen from other CPUs' local lists.
 * With BPF_F_NO_COMMON_LRU every CPU has its own lists and max_entries / nr_cpus nodes, freeing 4
 * at a time (PERCPU_FREE_TARGET) and looking at no more than 4 nodes per rotation or shrink
 * (PERCPU_NR_SCANS, against 128 for the common LRU).
 *
 * Approximation: Linux runs these steps under per-list spinlocks on several CPUs at once; here
 * every call runs to completion on the CPU `currentCpu()` names, so what Linux does under
 * contention (a failed trylock, a race between CPUs) does not happen. The single-CPU sequence of
 * list operations is Linux's, and test/kernel/maps checks it against the real kernel.
 */
import { LOCAL_FREE_TARGET, LOCAL_NR_SCANS, PERCPU_FREE_TARGET, PERCPU_NR_SCANS } from './constants.js';

// enum bpf_lru_list_type
const T_ACTIVE = 0;
const T_INACTIVE = 1;
const T_FREE = 2;
const T_LOCAL_FREE = 3;
const T_LOCAL_PENDING = 4;
/** A node just popped from a local free list, on no list. */
const T_NONE = 5;

/** struct bpf_lru_list: three lists (heads are sentinel node indexes) and two counters. */
interface LruList {
  readonly heads: [number, number, number];
  readonly counts: [number, number];
  /** A node (or the inactive head) where the next inactive rotation starts. */
  nextInactiveRotation: number;
}

/** struct bpf_lru_locallist: a CPU's free and pending lists. */
interface LocalList {
  readonly free: number;
  readonly pending: number;
  nextSteal: number;
}

/**
 * Removes the element of `node` from the hash table (htab_lru_map_delete_node); false when the
 * node is not linked there. Called when a node is evicted.
 */
export type DelFromHtab = (node: number) => boolean;

export class BpfLru {
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  private readonly type: Uint8Array;
  private readonly ref: Uint8Array;
  private readonly cpuOf: Int32Array;
  private nextSentinel: number;
  /** Common LRU: the global lists and one local list pair per CPU. */
  private readonly common: LruList | null;
  private readonly locals: LocalList[] = [];
  /** BPF_F_NO_COMMON_LRU: one set of lists per CPU. */
  private readonly percpuLists: LruList[] = [];
  /** clamp(nr_elems / nr_cpus / 2, 1, LOCAL_FREE_TARGET). */
  readonly targetFree: number;
  /** Nodes a rotation or shrink looks at: LOCAL_NR_SCANS, or PERCPU_NR_SCANS for per-CPU lists. */
  private readonly nrScans: number;

  constructor(readonly nrElems: number, readonly nrCpus: number, readonly percpu: boolean, private readonly delFromHtab: DelFromHtab) {
    this.nrScans = percpu ? PERCPU_NR_SCANS : LOCAL_NR_SCANS;
    const sentinels = percpu ? 3 * nrCpus : 3 + 2 * nrCpus;
    const n = nrElems + sentinels;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.type = new Uint8Array(n).fill(T_NONE);
    this.ref = new Uint8Array(n);
    this.cpuOf = new Int32Array(n);
    this.nextSentinel = nrElems;
    if (percpu) {
      this.common = null;
      for (let c = 0; c < nrCpus; c++) this.percpuLists.push(this.newList());
    } else {
      this.common = this.newList();
      for (let c = 0; c < nrCpus; c++) this.locals.push({ free: this.newHead(), pending: this.newHead(), nextSteal: c });
    }
    this.targetFree = Math.min(Math.max(Math.floor(Math.floor(nrElems / nrCpus) / 2), 1), LOCAL_FREE_TARGET);
    this.populate();
  }

  private newHead(): number {
    const h = this.nextSentinel++;
    this.prev[h] = h;
    this.next[h] = h;
    return h;
  }

  private newList(): LruList {
    const heads: [number, number, number] = [this.newHead(), this.newHead(), this.newHead()];
    return { heads, counts: [0, 0], nextInactiveRotation: heads[T_INACTIVE] };
  }

  // ---------------------------------------------------------------- list_head primitives
  private listDel(x: number): void {
    const p = this.prev[x], n = this.next[x];
    this.next[p] = n;
    this.prev[n] = p;
    this.prev[x] = x;
    this.next[x] = x;
  }

  /** list_add: insert right after `head`. */
  private listAdd(x: number, head: number): void {
    const n = this.next[head];
    this.prev[x] = head;
    this.next[x] = n;
    this.prev[n] = x;
    this.next[head] = x;
  }

  private listMove(x: number, head: number): void {
    this.listDel(x);
    this.listAdd(x, head);
  }

  private empty(head: number): boolean {
    return this.next[head] === head;
  }

  /** A safety bound for walks: no list holds more than every node. */
  private get walkBound(): number {
    return this.nrElems + 1;
  }

  // ---------------------------------------------------------------- bpf_lru_list.c
  private countInc(l: LruList, t: number): void {
    if (t < 2) l.counts[t]++;
  }

  private countDec(l: LruList, t: number): void {
    if (t < 2) l.counts[t]--;
  }

  private moveToFree(l: LruList, node: number, freeHead: number, tgtFreeType: number): void {
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[node];
    this.countDec(l, this.type[node]);
    this.type[node] = tgtFreeType;
    this.listMove(node, freeHead);
  }

  /** __bpf_lru_node_move_in: from a local list onto the global active/inactive list. */
  private moveIn(l: LruList, node: number, tgt: number): void {
    this.countInc(l, tgt);
    this.type[node] = tgt;
    this.ref[node] = 0;
    this.listMove(node, l.heads[tgt]);
  }

  /** __bpf_lru_node_move: between or within active and inactive (and to free), clearing the ref bit. */
  private nodeMove(l: LruList, node: number, tgt: number): void {
    if (this.type[node] !== tgt) {
      this.countDec(l, this.type[node]);
      this.countInc(l, tgt);
      this.type[node] = tgt;
    }
    this.ref[node] = 0;
    if (node === l.nextInactiveRotation) l.nextInactiveRotation = this.prev[node];
    this.listMove(node, l.heads[tgt]);
  }

  private rotateActive(l: LruList): void {
    const active = l.heads[T_ACTIVE];
    const first = this.next[active];
    let i = 0;
    for (let node = this.prev[active], guard = 0; node !== active && guard < this.walkBound; guard++) {
      const tmp = this.prev[node];
      this.nodeMove(l, node, this.ref[node] ? T_ACTIVE : T_INACTIVE);
      if (++i === this.nrScans || node === first) break;
      node = tmp;
    }
  }

  private rotateInactive(l: LruList): void {
    const inactive = l.heads[T_INACTIVE];
    if (this.empty(inactive)) return;
    let last = this.next[l.nextInactiveRotation];
    if (last === inactive) last = this.next[last];
    let cur = l.nextInactiveRotation;
    let nxt = inactive;
    let i = 0;
    for (let guard = 0; i < this.nrScans && guard < 2 * this.walkBound + 2; guard++) {
      if (cur === inactive) {
        cur = this.prev[cur];
        continue;
      }
      const node = cur;
      nxt = this.prev[cur];
      if (this.ref[node]) this.nodeMove(l, node, T_ACTIVE);
      if (cur === last) break;
      cur = nxt;
      i++;
    }
    l.nextInactiveRotation = nxt;
  }

  private rotate(l: LruList): void {
    if (l.counts[T_INACTIVE] < l.counts[T_ACTIVE]) this.rotateActive(l);
    this.rotateInactive(l);
  }

  private shrinkInactive(l: LruList, tgt: number, freeHead: number, tgtFreeType: number): number {
    const inactive = l.heads[T_INACTIVE];
    let shrunk = 0, i = 0;
    for (let node = this.prev[inactive], guard = 0; node !== inactive && guard < this.walkBound; guard++) {
      const tmp = this.prev[node];
      if (this.ref[node]) {
        this.nodeMove(l, node, T_ACTIVE);
      } else if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeHead, tgtFreeType);
        if (++shrunk === tgt) break;
      }
      if (++i === this.nrScans) break;
      node = tmp;
    }
    return shrunk;
  }

  private shrink(l: LruList, tgt: number, freeHead: number, tgtFreeType: number): number {
    const shrunk = this.shrinkInactive(l, tgt, freeHead, tgtFreeType);
    if (shrunk) return shrunk;
    // Force shrink, ignoring reference bits; inactive first.
    const inactive = l.heads[T_INACTIVE];
    const force = this.empty(inactive) ? l.heads[T_ACTIVE] : inactive;
    for (let node = this.prev[force], guard = 0; node !== force && guard < this.walkBound; guard++) {
      const tmp = this.prev[node];
      if (this.delFromHtab(node)) {
        this.moveToFree(l, node, freeHead, tgtFreeType);
        return 1;
      }
      node = tmp;
    }
    return 0;
  }

  private localFlush(l: LruList, loc: LocalList): void {
    const pending = loc.pending;
    for (let node = this.prev[pending], guard = 0; node !== pending && guard < this.walkBound; guard++) {
      const tmp = this.prev[node];
      this.moveIn(l, node, this.ref[node] ? T_ACTIVE : T_INACTIVE);
      node = tmp;
    }
  }

  private popFreeToLocal(loc: LocalList): void {
    const l = this.common!;
    this.localFlush(l, loc);
    this.rotate(l);
    const free = l.heads[T_FREE];
    let nfree = 0;
    for (let node = this.next[free], guard = 0; node !== free && guard < this.walkBound; guard++) {
      const tmp = this.next[node];
      this.moveToFree(l, node, loc.free, T_LOCAL_FREE);
      if (++nfree === this.targetFree) break;
      node = tmp;
    }
    if (nfree < this.targetFree) this.shrink(l, this.targetFree - nfree, loc.free, T_LOCAL_FREE);
  }

  private addPending(loc: LocalList, cpu: number, node: number): void {
    this.cpuOf[node] = cpu;
    this.type[node] = T_LOCAL_PENDING;
    this.ref[node] = 0;
    this.listAdd(node, loc.pending);
  }

  private localPopFree(loc: LocalList): number {
    const node = this.next[loc.free];
    if (node === loc.free) return -1;
    this.listDel(node);
    this.type[node] = T_NONE;
    return node;
  }

  private localPopPending(loc: LocalList): number {
    const pending = loc.pending;
    for (const force of [false, true]) {
      // Oldest first: from the tail.
      for (let node = this.prev[pending], guard = 0; node !== pending && guard < this.walkBound; guard++) {
        if ((!this.ref[node] || force) && this.delFromHtab(node)) {
          this.listDel(node);
          this.type[node] = T_NONE;
          return node;
        }
        node = this.prev[node];
      }
    }
    return -1;
  }

  private commonPopFree(cpu: number): number {
    const loc = this.locals[cpu];
    let node = this.localPopFree(loc);
    if (node < 0) {
      this.popFreeToLocal(loc);
      node = this.localPopFree(loc);
    }
    if (node >= 0) {
      this.addPending(loc, cpu, node);
      return node;
    }
    // Nothing free locally or globally: steal from the CPUs' local free, then pending lists, round robin.
    const first = loc.nextSteal;
    let steal = first;
    for (let k = 0; k < this.nrCpus; k++) {
      const sl = this.locals[steal];
      node = this.localPopFree(sl);
      if (node < 0) node = this.localPopPending(sl);
      steal = (steal + 1) % this.nrCpus;
      if (node >= 0 || steal === first) break;
    }
    loc.nextSteal = steal;
    if (node >= 0) this.addPending(loc, cpu, node);
    return node;
  }

  private percpuPopFree(cpu: number): number {
    const l = this.percpuLists[cpu];
    this.rotate(l);
    const free = l.heads[T_FREE];
    if (this.empty(free)) this.shrink(l, PERCPU_FREE_TARGET, free, T_FREE);
    if (this.empty(free)) return -1;
    const node = this.next[free];
    this.ref[node] = 0;
    this.nodeMove(l, node, T_INACTIVE);
    return node;
  }

  /** bpf_lru_pop_free on CPU `cpu`: a node for a new element (possibly evicting others), or -1. */
  popFree(cpu: number): number {
    const c = Number.isInteger(cpu) && cpu >= 0 && cpu < this.nrCpus ? cpu : 0;
    return this.percpu ? this.percpuPopFree(c) : this.commonPopFree(c);
  }

  /** bpf_lru_push_free: the node's element was deleted or replaced. */
  pushFree(node: number): void {
    const t = this.type[node];
    if (t === T_FREE || t === T_LOCAL_FREE) return;
    if (this.percpu) {
      this.nodeMove(this.percpuLists[this.cpuOf[node]], node, T_FREE);
      return;
    }
    if (t === T_LOCAL_PENDING) {
      this.type[node] = T_LOCAL_FREE;
      this.ref[node] = 0;
      this.listMove(node, this.locals[this.cpuOf[node]].free);
      return;
    }
    this.nodeMove(this.common!, node, T_FREE);
  }

  /** bpf_lru_node_set_ref: a program looked the element up. */
  setRef(node: number): void {
    this.ref[node] = 1;
  }

  isRef(node: number): boolean {
    return this.ref[node] === 1;
  }

  /** bpf_common_lru_populate / bpf_percpu_lru_populate: every node starts free (node 0 first, so the last one is popped first). */
  private populate(): void {
    if (!this.percpu) {
      const free = this.common!.heads[T_FREE];
      for (let i = 0; i < this.nrElems; i++) {
        this.type[i] = T_FREE;
        this.listAdd(i, free);
      }
      return;
    }
    const perCpu = Math.floor(this.nrElems / this.nrCpus);
    let i = 0;
    for (let cpu = 0; cpu < this.nrCpus && i < this.nrElems; cpu++) {
      const free = this.percpuLists[cpu].heads[T_FREE];
      do {
        this.cpuOf[i] = cpu;
        this.type[i] = T_FREE;
        this.listAdd(i, free);
        i++;
      } while (i < this.nrElems && i % perCpu !== 0);
    }
  }
}
