/**
 * LSM hook points of the BPF subsystem (include/linux/security.h) and user policies on them.
 * A policy returns 0 to allow or a negative errno to deny, like an LSM's hook implementation.
 */
import type { AttrBytes } from './attr.js';
import type { MapObject, ProgObject, SignatureStatus } from './objects.js';

export interface SecurityBpfCtx {
  readonly hook: 'security_bpf';
  readonly cmd: number;
  readonly attr: AttrBytes;
  readonly size: number;
  readonly isKernel: boolean;
}
export interface SecurityMapCreateCtx {
  readonly hook: 'security_bpf_map_create';
  readonly name: string;
  readonly mapType: number;
  readonly isKernel: boolean;
}
/**
 * What `security_bpf_prog_load` can know (signing.md §2.2 step 7e, §3.3): whether the loader's
 * instructions were verified against a signature and whether the metadata (maps) were too.
 */
export interface SecurityProgLoadCtx {
  readonly hook: 'security_bpf_prog_load';
  readonly progType: number;
  readonly name: string;
  readonly isKernel: boolean;
  readonly signature: SignatureStatus;
  readonly insnsVerified: boolean;
  readonly metadataVerified: boolean;
  /** attr.signature != 0: all an LSM can see directly (failures never reach the hook). */
  readonly signaturePresent: boolean;
}
export interface SecurityMapCtx { readonly hook: 'security_bpf_map'; readonly map: MapObject; readonly fmode: number }
export interface SecurityProgCtx { readonly hook: 'security_bpf_prog'; readonly prog: ProgObject }

export type LsmCtx = SecurityBpfCtx | SecurityMapCreateCtx | SecurityProgLoadCtx | SecurityMapCtx | SecurityProgCtx;
export type LsmHookName = LsmCtx['hook'];
export type LsmPolicy<C extends LsmCtx = LsmCtx> = (ctx: C) => number;

export class LsmHooks {
  private readonly policies: Array<{ hook: LsmHookName; fn: LsmPolicy<never> }> = [];

  /** Register a policy on one hook; returns a function that removes it. */
  register<H extends LsmHookName>(hook: H, fn: LsmPolicy<Extract<LsmCtx, { hook: H }>>): () => void {
    const entry = { hook, fn: fn as LsmPolicy<never> };
    this.policies.push(entry);
    return () => {
      const i = this.policies.indexOf(entry);
      if (i >= 0) this.policies.splice(i, 1);
    };
  }

  /** Run every policy of the hook in registration order; the first non-zero result wins. */
  call(ctx: LsmCtx): number {
    for (const p of this.policies) {
      if (p.hook !== ctx.hook) continue;
      const r = (p.fn as LsmPolicy<LsmCtx>)(ctx);
      if (r !== 0) return r;
    }
    return 0;
  }
}
