/**
 * Decoding C string literals as bpftool writes them into light skeletons
 * (`static const char opts_data[] __attribute__((__aligned__(8))) = "\x01\0..." "...";`,
 * with backslash-newline continuations, octal and hex escapes, and adjacent-literal concatenation).
 */

export class CLiteralError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CLiteralError';
  }
}

const SIMPLE: Readonly<Record<string, number>> = {
  n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, '\\': 92, "'": 39, '"': 34, '?': 63,
};

/**
 * Decode a sequence of adjacent C string literals starting at `text[start]` (which must be `"`).
 * Returns the bytes (without the implicit trailing NUL) and the index just past the last literal.
 */
export function decodeCStringLiterals(text: string, start: number): { bytes: Uint8Array; end: number } {
  const out: number[] = [];
  let i = start;
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (text[i] !== '"') throw new CLiteralError(`expected a string literal at offset ${i}`);
  while (text[i] === '"') {
    i++;
    for (;;) {
      if (i >= text.length) throw new CLiteralError('unterminated string literal');
      const c = text[i];
      if (c === '"') { i++; break; }
      if (c === '\n') throw new CLiteralError(`newline inside a string literal at offset ${i}`);
      if (c !== '\\') {
        const code = text.charCodeAt(i);
        if (code > 0x7f) out.push(...Buffer.from(c, 'utf8'));
        else out.push(code);
        i++;
        continue;
      }
      const e = text[i + 1];
      if (e === undefined) throw new CLiteralError('dangling backslash');
      if (e === '\n') { i += 2; continue; } // line continuation
      if (e === '\r' && text[i + 2] === '\n') { i += 3; continue; }
      if (e === 'x') {
        let j = i + 2;
        let v = 0;
        while (j < text.length && /[0-9a-fA-F]/.test(text[j])) { v = v * 16 + parseInt(text[j], 16); j++; }
        if (j === i + 2) throw new CLiteralError(`\\x without digits at offset ${i}`);
        out.push(v & 0xff);
        i = j;
        continue;
      }
      if (e >= '0' && e <= '7') {
        let j = i + 1;
        let v = 0;
        while (j < i + 4 && text[j] >= '0' && text[j] <= '7') { v = v * 8 + (text.charCodeAt(j) - 48); j++; }
        out.push(v & 0xff);
        i = j;
        continue;
      }
      const simple = SIMPLE[e];
      if (simple === undefined) throw new CLiteralError(`unknown escape \\${e} at offset ${i}`);
      out.push(simple);
      i += 2;
    }
    skipSpace();
  }
  return { bytes: Uint8Array.from(out), end: i };
}

/**
 * The bytes of `static const char NAME[] ... = "...";` in a C source, or null when there is no
 * such definition.
 */
export function findCharArray(source: string, name: string): Uint8Array | null {
  const re = new RegExp(`static\\s+const\\s+char\\s+${name}\\s*\\[\\s*\\][^=;]*=\\s*"`);
  const m = re.exec(source);
  if (!m) return null;
  return decodeCStringLiterals(source, m.index + m[0].length - 1).bytes;
}

/** Column budget of one line of bpftool's hex dump (bpftool gen.c `print_hex`). */
const PRINT_HEX_WIDTH = 78;

/**
 * The body of a C string literal exactly as bpftool's `print_hex` writes it: every byte as `\xNN`
 * (lower-case hex) or `\0` for a zero byte, with a backslash-newline continuation whenever the
 * current line would exceed 78 characters. The caller writes the opening `"\` + newline before it
 * and the closing `"` after it; {@link decodeCStringLiterals} reads the result back to `bytes`.
 */
export function formatBpftoolHex(bytes: Uint8Array): string {
  const parts: string[] = [];
  let len = 0;
  for (const b of bytes) {
    const w = b !== 0 ? 4 : 2;
    len += w;
    if (len > PRINT_HEX_WIDTH) {
      parts.push('\\\n');
      len = w;
    }
    parts.push(b !== 0 ? `\\x${b.toString(16).padStart(2, '0')}` : '\\0');
  }
  return parts.join('');
}
