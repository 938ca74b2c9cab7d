/*
 * Real-kernel oracle for the signing tests: replay libbpf 1.8's bpf_load_and_run() for a signed
 * light-skeleton loader WITHOUT its signature (root may; fixtures/README.md §3.2) with one blob byte
 * XORed, and report the loader's retval and whether the process's fds 1 and 2 survived the run.
 *
 *   loader-cleanup <insns.bin> <data.bin> <excl_hash.bin> <ctx_size> <blob_offset> <xor>
 *
 * Prints one line on the original stdout (kept open as a copy at fd >= 200):
 *   ok retval=<n> fd1=<open|closed> fd2=<open|closed>
 *   skip <reason>         (bpf() not permitted, kernel without exclusive maps, ...)
 * Attr layouts: signing.md §4.3 (raw offsets; no libbpf or kernel headers needed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_bpf
#define __NR_bpf 321
#endif

static long sys_bpf(int cmd, void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != (size_t)n)
		return NULL;
	fclose(f);
	*len = n;
	return buf;
}

static void put32(unsigned char *b, int off, uint32_t v) { memcpy(b + off, &v, 4); }
static void put64(unsigned char *b, int off, uint64_t v) { memcpy(b + off, &v, 8); }

int main(int argc, char **argv)
{
	static const char license[] = "Dual BSD/GPL";
	unsigned char attr[168], info[104], sha[32], *insns, *data, *excl, *ctx;
	size_t ninsns, ndata, nexcl;
	int out, map_fd, prog_fd, fd_array[1];
	long ctx_size, off, x;
	uint32_t key = 0;
	int32_t retval;
	FILE *o;

	if (argc != 7)
		return 2;
	/* Keep the report channel far above the fds a tampered fd_array slot can name in the tests. */
	out = fcntl(1, F_DUPFD, 200);
	o = out < 0 ? NULL : fdopen(out, "w");
	if (!o)
		return 2;
	setvbuf(o, NULL, _IONBF, 0);
	insns = slurp(argv[1], &ninsns);
	data = slurp(argv[2], &ndata);
	excl = slurp(argv[3], &nexcl);
	ctx_size = strtol(argv[4], NULL, 0);
	off = strtol(argv[5], NULL, 0);
	x = strtol(argv[6], NULL, 0);
	if (!insns || !data || !excl || nexcl != 32 || ctx_size <= 0 || ctx_size > 65535 || off < 0 || (size_t)off >= ndata) {
		fprintf(o, "skip bad arguments\n");
		return 2;
	}
	data[off] ^= (unsigned char)x;

	/* BPF_MAP_CREATE __loader.map: ARRAY, key 4, value = blob, 1 entry, excl_prog_hash (size 92). */
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, 2); put32(attr, 4, 4); put32(attr, 8, ndata); put32(attr, 12, 1);
	strcpy((char *)attr + 28, "__loader.map");
	put64(attr, 80, (uintptr_t)excl); put32(attr, 88, 32);
	map_fd = sys_bpf(0, attr, 92);
	if (map_fd < 0) {
		fprintf(o, "skip BPF_MAP_CREATE with excl_prog_hash: %s\n", strerror(errno));
		return 0;
	}
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, map_fd); put64(attr, 8, (uintptr_t)&key); put64(attr, 16, (uintptr_t)data);
	if (sys_bpf(2, attr, 32) < 0) { fprintf(o, "skip BPF_MAP_UPDATE_ELEM: %s\n", strerror(errno)); return 0; }
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, map_fd);
	if (sys_bpf(22, attr, 4) < 0) { fprintf(o, "skip BPF_MAP_FREEZE: %s\n", strerror(errno)); return 0; }
	memset(info, 0, sizeof(info));
	put64(info, 88, (uintptr_t)sha); put32(info, 96, 32);
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, map_fd); put32(attr, 4, sizeof(info)); put64(attr, 8, (uintptr_t)info);
	if (sys_bpf(15, attr, 16) < 0) { fprintf(o, "skip BPF_OBJ_GET_INFO_BY_FD hash: %s\n", strerror(errno)); return 0; }

	/* BPF_PROG_LOAD __loader.prog: SYSCALL, sleepable, fd_array = &map_fd, no signature (size 168). */
	fd_array[0] = map_fd;
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, 31); put32(attr, 4, ninsns / 8); put64(attr, 8, (uintptr_t)insns);
	put64(attr, 16, (uintptr_t)license); put32(attr, 44, 16);
	strcpy((char *)attr + 48, "__loader.prog");
	put64(attr, 120, (uintptr_t)fd_array);
	prog_fd = sys_bpf(5, attr, 168);
	if (prog_fd < 0) { fprintf(o, "skip BPF_PROG_LOAD of the loader: %s\n", strerror(errno)); return 0; }

	/* BPF_PROG_TEST_RUN with the (zeroed) skeleton as ctx, ctx.sz at offset 0 (size 80). */
	ctx = calloc(1, ctx_size);
	if (!ctx)
		return 2;
	put32(ctx, 0, ctx_size);
	memset(attr, 0, sizeof(attr));
	put32(attr, 0, prog_fd); put32(attr, 40, ctx_size); put64(attr, 48, (uintptr_t)ctx);
	if (sys_bpf(10, attr, 80) < 0) { fprintf(o, "skip BPF_PROG_TEST_RUN: %s\n", strerror(errno)); return 0; }
	memcpy(&retval, attr + 4, 4);
	fprintf(o, "ok retval=%d fd1=%s fd2=%s\n", retval,
		fcntl(1, F_GETFD) < 0 ? "closed" : "open", fcntl(2, F_GETFD) < 0 ? "closed" : "open");
	return 0;
}
