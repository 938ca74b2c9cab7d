/** Hex encoding of byte strings (lower case, no separators) and its inverse. */

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export class HexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HexError';
  }
}

/**
 * Parse hex text. Whitespace and an optional `0x` prefix are ignored; an odd number of digits or a
 * non-hex character is a HexError.
 */
export function fromHex(text: string): Uint8Array {
  const s = text.replace(/\s+/g, '').replace(/^0x/i, '');
  if (s.length % 2 !== 0) throw new HexError(`odd number of hex digits (${s.length})`);
  if (!/^[0-9a-f]*$/i.test(s)) throw new HexError('not a hex string');
  return new Uint8Array(Buffer.from(s, 'hex'));
}
