/**
 * What kind of kernel a {@link Kernel} models. Every switch here corresponds to a real difference
 * between kernels (version, build configuration) or between signing designs (signing.md §0.1, §3,
 * Appendix B).
 */

/** `6.18.0` as released; `6.18.y` stable after the 2026 backports (the fixtures' 6.18.44); `2026` later trees. */
export type KernelVersion = '6.18.0' | '6.18.y' | '2026';
/**
 * `v6.18`: upstream (signature over the loader, loader checks the map hash at run time).
 * `hash-chain`: the unmerged proposal (signature over H(H(insns) ‖ chained map hashes), checked
 * before the LSM hook; adds signature_maps/_size to BPF_PROG_LOAD).
 * `v2026`: the 2026 in-kernel check (insns plus frozen exclusive fd_array maps, inside the verifier).
 */
export type SigningScheme = 'v6.18' | 'hash-chain' | 'v2026';

export interface Capabilities {
  readonly bpf: boolean;
  readonly perfmon: boolean;
  readonly sysAdmin: boolean;
  readonly netAdmin: boolean;
}

export interface KernelConfig {
  readonly version: KernelVersion;
  readonly scheme: SigningScheme;
  /** CONFIG_SYSTEM_DATA_VERIFICATION: false makes every resolvable keyring fail with EOPNOTSUPP (the fixtures' VM). */
  readonly systemDataVerification: boolean;
  /** ECDSA support in the crypto layer (the fixtures' VM had none). */
  readonly ecdsa: boolean;
  /** Capabilities of the calling process (root by default). */
  readonly caps: Capabilities;
  readonly nrCpus: number;
  /** Seed of the kernel's PRNG (bpf_get_prandom_u32, hash seeds): runs are deterministic per seed. */
  readonly seed: number;
  /** Modelled kernel memory available to maps, bytes (beyond it: ENOMEM). */
  readonly memoryLimit: number;
  /** The calling process. */
  readonly pid: number;
  readonly uid: number;
  readonly comm: string;
  /** Virtual time of an RCU tasks-trace grace period: how long a sleepable program's maps outlive it (signing.md: ~0.3 s). */
  readonly rcuTasksTraceGraceNs: number;
  /** Instruction budget per program run (the interpreter faults beyond it). */
  readonly runBudget: number;
}

export const ROOT_CAPS: Capabilities = { bpf: true, perfmon: true, sysAdmin: true, netAdmin: true };

export const DEFAULT_CONFIG: KernelConfig = {
  version: '6.18.y',
  scheme: 'v6.18',
  systemDataVerification: true,
  ecdsa: true,
  caps: ROOT_CAPS,
  nrCpus: 2,
  seed: 1,
  memoryLimit: 1 << 30,
  pid: 4242,
  uid: 0,
  comm: 'bpfsim',
  rcuTasksTraceGraceNs: 300_000_000,
  runBudget: 100_000_000,
};

/**
 * The kernel the fixtures in vendor/shared/fixtures were recorded on: 6.18.44, no
 * CONFIG_SYSTEM_DATA_VERIFICATION, no ECDSA (fixtures/README.md §3.1).
 */
export const FIXTURE_KERNEL: Partial<KernelConfig> = {
  version: '6.18.y', systemDataVerification: false, ecdsa: false,
};
