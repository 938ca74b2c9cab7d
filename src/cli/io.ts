/**
 * What a CLI command may touch: its output streams and the exit status it sets. Commands write
 * through this (not process.stdout directly) so tests can run them in-process and capture output.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Read a whole file, or standard input for '-'. */
  readInput(path: string): Promise<Buffer>;
  /** Stream lines of a file or of standard input ('-'), for batch (JSONL) modes. */
  lines(path: string): AsyncIterable<string>;
  /** Set the process exit status (the last call wins). */
  setExit(code: number): void;
}
