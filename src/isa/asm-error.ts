/** A syntax error in assembly text: line number (1-based) and what is wrong. */
export class AsmError extends Error {
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.name = 'AsmError';
  }
}
