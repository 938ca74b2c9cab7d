/** Byte strings in tests, spelled as objdump and bpftool list them (`b7 01 00 00`). */
import { fromHex } from '../../../src/util/hex.js';

/** Independent of the code under test on purpose: both sides of a comparison go through this. */
export function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Parse `b7 01 00 00 ...` (any whitespace) into bytes. */
export function bytesOf(text: string): Uint8Array {
  return fromHex(text);
}
