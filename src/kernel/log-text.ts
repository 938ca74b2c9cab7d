/** A NUL-terminated log buffer (verifier or BTF log) as lines, empty lines dropped (as the fixtures record them). */
export function logLinesOf(buf: Uint8Array): string[] {
  const end = buf.indexOf(0);
  const text = new TextDecoder().decode(end < 0 ? buf : buf.subarray(0, end));
  return text.split('\n').filter((l) => l.length > 0);
}
