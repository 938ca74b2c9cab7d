/**
 * The key index of a hash map: key bytes -> element slot, plus the order get_next_key walks.
 *
 * Linux walks buckets in index order (jhash with a random seed, so the order is unspecified to
 * user space, only "every key once, then ENOENT" is). bpfsim walks keys in insertion order; an
 * element replaced by an update keeps its predecessor's place, so iterating while updating values
 * neither skips nor repeats keys.
 */
import { keyString } from './common.js';

export class HashIndex {
  private readonly bySlot = new Map<number, { key: Uint8Array; str: string }>();
  private readonly byKey = new Map<string, number>();
  private prev = new Int32Array(16);
  private next = new Int32Array(16);
  private head = -1;
  private tail = -1;

  get size(): number {
    return this.byKey.size;
  }

  /** Slot of `key`, or -1. */
  find(key: Uint8Array): number {
    return this.byKey.get(keyString(key)) ?? -1;
  }

  has(slot: number): boolean {
    return this.bySlot.has(slot);
  }

  private room(slot: number): void {
    if (slot < this.prev.length) return;
    let n = this.prev.length;
    while (n <= slot) n *= 2;
    const p = new Int32Array(n), x = new Int32Array(n);
    p.set(this.prev);
    x.set(this.next);
    this.prev = p;
    this.next = x;
  }

  /** Add a new key at the end of the iteration order. */
  insert(key: Uint8Array, slot: number): void {
    this.room(slot);
    const copy = key.slice();
    const str = keyString(copy);
    this.byKey.set(str, slot);
    this.bySlot.set(slot, { key: copy, str });
    this.prev[slot] = this.tail;
    this.next[slot] = -1;
    if (this.tail >= 0) this.next[this.tail] = slot; else this.head = slot;
    this.tail = slot;
  }

  /** `newSlot` takes over `oldSlot`'s key and place in the order. */
  replace(oldSlot: number, newSlot: number): void {
    const e = this.bySlot.get(oldSlot);
    if (!e) return;
    this.room(newSlot);
    this.bySlot.delete(oldSlot);
    this.bySlot.set(newSlot, e);
    this.byKey.set(e.str, newSlot);
    const p = this.prev[oldSlot], n = this.next[oldSlot];
    this.prev[newSlot] = p;
    this.next[newSlot] = n;
    if (p >= 0) this.next[p] = newSlot; else this.head = newSlot;
    if (n >= 0) this.prev[n] = newSlot; else this.tail = newSlot;
  }

  /** Remove the element in `slot`; false when it is not in the index. */
  remove(slot: number): boolean {
    const e = this.bySlot.get(slot);
    if (!e) return false;
    this.bySlot.delete(slot);
    this.byKey.delete(e.str);
    const p = this.prev[slot], n = this.next[slot];
    if (p >= 0) this.next[p] = n; else this.head = n;
    if (n >= 0) this.prev[n] = p; else this.tail = p;
    return true;
  }

  /**
   * htab_map_get_next_key's walk: a copy of the key after `key`, or of the first key when `key` is
   * null or not in the map (Linux restarts from the first bucket); null after the last one.
   */
  keyAfter(key: Uint8Array | null): Uint8Array | null {
    const s = key === null ? -1 : this.find(key);
    const next = s >= 0 ? this.next[s] : this.head;
    return next < 0 ? null : this.keyOf(next).slice();
  }

  keyOf(slot: number): Uint8Array {
    return this.bySlot.get(slot)!.key;
  }

  /** Slots in iteration order. */
  slots(): number[] {
    const out: number[] = [];
    // Bounded by the number of live elements.
    for (let s = this.head, n = 0; s >= 0 && n <= this.byKey.size; s = this.next[s], n++) out.push(s);
    return out;
  }
}
