/**
 * btf_check_type_tags(): in every chain of modifiers, TYPE_TAGs must come first (directly after
 * the pointer), and a chain may not be longer than 32 modifiers (which also catches cycles).
 */
import { ERRNO } from '../../errno.js';
import { BTF_KIND as BTF_KIND_IMPORT } from './constants.js';
import { type BtfVerifierEnv, vlog } from './env.js';
import { isModifier } from './raw.js';

/** Module-local copy: an imported binding is a getter call per use under the test transform. */
const BTF_KIND = BTF_KIND_IMPORT;

export function checkTypeTags(env: BtfVerifierEnv): number {
  const r = env.raw;
  const n = r.nrTypes;
  let goodId = 0;
  for (let i = 1; i < n; i++) {
    let t = r.byId(i);
    if (t === null) return -ERRNO.EINVAL;
    if (!isModifier(r, t)) continue;
    let chainLimit = 32;
    let curId = i;
    let inTags = r.kind(t) === BTF_KIND.TYPE_TAG;
    while (isModifier(r, t)) {
      if (chainLimit-- === 0) {
        vlog(env, 'Max chain length or cycle detected');
        return -ERRNO.ELOOP;
      }
      if (r.kind(t) === BTF_KIND.TYPE_TAG) {
        if (!inTags) {
          vlog(env, "Type tags don't precede modifiers");
          return -ERRNO.EINVAL;
        }
      } else if (inTags) {
        inTags = false;
      }
      if (curId <= goodId) break;
      curId = r.sizeOrType(t);
      t = r.byId(curId);
      if (t === null) return -ERRNO.EINVAL;
    }
    goodId = i;
  }
  return 0;
}
