/**
 * How much fuzzing the robustness tests do: the default keeps the CI run short; BPFSIM_FUZZ_SCALE=n
 * multiplies every count (and BPFSIM_FUZZ_SEED changes the seeds) for a longer local run.
 */
export const FUZZ_SCALE = Math.max(1, Number(process.env.BPFSIM_FUZZ_SCALE ?? '1') || 1);
export const FUZZ_SEED = Number(process.env.BPFSIM_FUZZ_SEED ?? '20260301') >>> 0;

export function scaled(n: number): number {
  return Math.round(n * FUZZ_SCALE);
}
