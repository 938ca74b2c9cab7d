/**
 * {@link Keyrings}: the kernel's keyring subsystem as an object with a lifetime — the current
 * {@link KeyringState} plus the build configuration that decides signature behaviour. Every
 * method is a thin wrapper over the pure functions of ./keyring.ts and returns what the syscall
 * returns (a serial or 0, or a negative errno); snapshots are the immutable states themselves.
 */
import { KernelError } from '../errno.js';
import {
  addKey, addKeyring, advanceClock, createKeyrings, getKey, linkKey, newSessionKeyring, revokeKey, setKeyTimeout,
  unlinkKey, type CreateKeyringsOptions, type Key, type KeyOp, type KeyringState,
} from './keyring.js';
import type { Pkcs7Usage } from './pkcs7.js';
import type { SignatureConfig } from './prog-verify.js';
import type { Failure } from './result.js';

export interface KeyringsOptions extends CreateKeyringsOptions {
  /** CONFIG_SYSTEM_DATA_VERIFICATION (default true). */
  readonly systemDataVerification?: boolean;
  /** ECDSA crypto built in (default true). */
  readonly ecdsa?: boolean;
  /** Usage for BPF_PROG_LOAD's PKCS#7 check (default 'bpf'). */
  readonly pkcs7Usage?: Pkcs7Usage;
}

export class Keyrings {
  readonly config: SignatureConfig;
  private current: KeyringState;
  /** The failure behind the last negative return, for traces and error messages. */
  lastFailure: Failure | null = null;

  /** Throws a KernelError when a builtin/secondary/platform certificate cannot be loaded. */
  constructor(opts: KeyringsOptions = {}) {
    this.config = {
      systemDataVerification: opts.systemDataVerification ?? true,
      ecdsa: opts.ecdsa ?? true,
      pkcs7Usage: opts.pkcs7Usage ?? 'bpf',
    };
    const r = createKeyrings(opts, this.config);
    if (!r.ok) throw new KernelError(r.errno, `system keyring setup: ${r.reason}`);
    this.current = r.state;
  }

  get state(): KeyringState {
    return this.current;
  }

  /** The current state (immutable: keep it to restore later). */
  snapshot(): KeyringState {
    return this.current;
  }

  restore(state: KeyringState): void {
    this.current = state;
  }

  key(serial: number): Key | null {
    return getKey(this.current, serial);
  }

  private apply(r: KeyOp<number | null>): number {
    if (!r.ok) {
      this.lastFailure = r;
      return -r.errno;
    }
    this.lastFailure = null;
    this.current = r.state;
    return r.value ?? 0;
  }

  /** add_key("asymmetric", description, certDer, keyring): serial or -errno. */
  addCertificate(certDer: Uint8Array, keyring: number, description = ''): number {
    return this.apply(addKey(this.current, this.config, { type: 'asymmetric', payload: certDer, keyring, description }));
  }

  /** add_key("keyring", description, NULL, 0, keyring) / keyctl newring: serial or -errno. */
  addKeyring(description: string, keyring: number): number {
    return this.apply(addKeyring(this.current, description, keyring));
  }

  /** keyctl new_session: the new session keyring's serial. */
  newSession(): number {
    return this.apply(newSessionKeyring(this.current));
  }

  /** keyctl link: 0 or -errno. */
  link(serial: number, keyring: number): number {
    return this.apply(linkKey(this.current, serial, keyring));
  }

  /** keyctl unlink: 0 or -errno. */
  unlink(serial: number, keyring: number): number {
    return this.apply(unlinkKey(this.current, serial, keyring));
  }

  /** keyctl revoke: 0 or -errno. */
  revoke(serial: number): number {
    return this.apply(revokeKey(this.current, serial));
  }

  /** keyctl timeout (seconds on the model clock, 0 = none): 0 or -errno. */
  setTimeout(serial: number, seconds: number): number {
    return this.apply(setKeyTimeout(this.current, serial, seconds));
  }

  /** Advance the model clock (expiry). */
  advanceClock(seconds: number): void {
    this.current = advanceClock(this.current, seconds);
  }
}
