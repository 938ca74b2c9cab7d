/**
 * BPF_TOKEN_CREATE (syscall.c token_create, token.c bpf_token_create). A token can only be made
 * from the root of a BPF FS mount with delegation options; bpfsim models no BPF FS, so no open fd
 * is one and every request that gets that far fails EINVAL, as on a kernel where /sys/fs/bpf is not
 * a bpffs mount (libbpf's token probe on the fixtures' VM: `bpf cmd 36` → EINVAL).
 */
import { KernelError } from '../../errno.js';
import { TOKEN_CREATE_ATTR, type AttrBytes } from '../attr.js';
import type { Kernel } from '../kernel.js';
import { checkAttr } from './common.js';

export function tokenCreate(k: Kernel, attr: AttrBytes): number {
  checkAttr(attr, TOKEN_CREATE_ATTR, 'bpffs_fd');
  const a = attr.read(TOKEN_CREATE_ATTR);
  if (a.flags !== 0) throw new KernelError('EINVAL'); // no flags are supported yet
  // bpf_token_create: fdget(bpffs_fd), then the path must be a BPF FS superblock's root.
  if (!k.fdEntry(a.bpffs_fd)) throw new KernelError('EBADF');
  throw new KernelError('EINVAL');
}
