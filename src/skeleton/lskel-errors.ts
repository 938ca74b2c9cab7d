/** The typed errors of the light-skeleton header parser and renderer. */

/**
 * A `.lskel.h` that is not what bpftool writes: the position (1-based line and column) of the first
 * token that does not fit, what was expected there and what was found.
 */
export class LskelParseError extends Error {
  constructor(
    readonly fileName: string | null,
    readonly line: number,
    readonly column: number,
    readonly expected: string,
    readonly found: string,
  ) {
    super(`${fileName ?? '<lskel>'}:${line}:${column}: expected ${expected}, found ${found}`);
    this.name = 'LskelParseError';
  }
}

/** A render request that no bpftool could have produced (e.g. a signature on a 7.1-shaped header). */
export class LskelRenderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LskelRenderError';
  }
}
