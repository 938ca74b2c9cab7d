/*
 * bpf-cmd-oracle: runs scripts of raw bpf(2) calls against the running kernel and prints what each
 * call returned, so that bpfsim's bpf() commands can be compared with Linux errno for errno
 * (test/kernel/commands). The attr bytes come from the test as they are; the helper only places
 * them (and the user buffers they point to) in memory and patches pointers and object ids in.
 *
 * Every buffer, the attr included, is placed so that its last byte ends a page followed by a
 * PROT_NONE guard page: one byte past a buffer faults, exactly as one byte past a bpfsim user
 * allocation is unmapped. No libbpf and no <linux/bpf.h>: nothing is interpreted here.
 *
 * Protocol: one script per line on stdin, one answer per line on stdout.
 *
 *   script := "S" seq nsteps step*
 *   step   := "B" cmd size attrptr attr nbufs buf* nrel rel*     bpf(cmd, attr, size)
 *           | "C" fd                                                close(fd) (fd >= 3 only)
 *           | "O"                                                   open("/dev/null", O_RDONLY)
 *   attrptr:= "b" (the attr buffer) | "n" (NULL) | "u" (an unmapped user address) | "k" (a kernel address)
 *   attr   := hex | "-"                         (placed like a buffer)
 *   buf    := hex | "z" len                     (bytes, or len zero bytes)
 *   rel    := target "," off "," kind "," arg "," addend
 *             target: "a" (the attr) or a buffer index; the value is written at byte `off` of it:
 *             kind "b": u64 address of buffer `arg` + addend     kind "n": u64 addend
 *             kind "u": u64 unmapped user address + addend       kind "k": u64 kernel address + addend
 *             kind "i": u32 id of the map/prog/link at fd `arg` + addend
 *             kind "j": u32 id of the BTF object at fd `arg` + addend
 *   answer := "R" seq ret*        ret = the call's result (>= 0) or -errno
 *           | "E" seq message     (malformed script; nothing of it was run)
 *
 * After every script all fds >= 3 are closed, so every script starts from the same fd table.
 * "--probe" creates a one-element array map and prints "ok" or "fail <errno>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_STEPS 64
#define MAX_BUFS 16
#define MAX_RELS 32
#define PAGE 4096UL
#define KERNEL_ADDR 0xffffffff81000000ULL
#define CMD_OBJ_GET_INFO_BY_FD 15

struct buf {
	unsigned char *base; /* the mapping */
	size_t map_len;
	unsigned char *p; /* the bytes (end at the guard page) */
	size_t len;
};

static unsigned char *unmapped_page;

static long sys_bpf(long cmd, void *attr, unsigned long size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* A guarded buffer of `len` bytes; `hex` (NULL for zeroes) gives its content. */
static int buf_alloc(struct buf *b, size_t len, const char *hex)
{
	size_t body = (len + PAGE - 1) / PAGE * PAGE;
	b->map_len = body + PAGE;
	b->base = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b->base == MAP_FAILED) return -1;
	if (mprotect(b->base + body, PAGE, PROT_NONE) != 0) return -1;
	b->p = b->base + body - len;
	b->len = len;
	for (size_t i = 0; hex && i < len; i++) {
		int h = hexval(hex[2 * i]), l = hexval(hex[2 * i + 1]);
		if (h < 0 || l < 0) return -1;
		b->p[i] = (unsigned char)(h << 4 | l);
	}
	return 0;
}

static void buf_free(struct buf *b)
{
	if (b->base && b->base != MAP_FAILED) munmap(b->base, b->map_len);
	b->base = NULL;
}

/* Parse a byte string token ("-", hex or z<len>) into a new guarded buffer. */
static int parse_buf(const char *tok, struct buf *b)
{
	if (strcmp(tok, "-") == 0) return buf_alloc(b, 0, NULL);
	if (tok[0] == 'z') {
		char *end;
		unsigned long n = strtoul(tok + 1, &end, 10);
		if (*end || n > (64UL << 20)) return -1;
		return buf_alloc(b, n, NULL);
	}
	size_t n = strlen(tok);
	if (n % 2) return -1;
	return buf_alloc(b, n / 2, tok);
}

/* The id of the BPF object at `fd` (bpf_{map,prog,link}_info.id at 4, bpf_btf_info.id at 12). */
static long object_id(int fd, int btf)
{
	unsigned char info[256], attr[16];
	memset(info, 0, sizeof info);
	memset(attr, 0, sizeof attr);
	uint32_t ufd = (uint32_t)fd, len = btf ? 32 : 16;
	uint64_t p = (uint64_t)(uintptr_t)info;
	memcpy(attr, &ufd, 4);
	memcpy(attr + 4, &len, 4);
	memcpy(attr + 8, &p, 8);
	if (sys_bpf(CMD_OBJ_GET_INFO_BY_FD, attr, sizeof attr) < 0) return -1;
	uint32_t id;
	memcpy(&id, info + (btf ? 12 : 4), 4);
	return id;
}

static char *next_tok(char **save)
{
	return strtok_r(NULL, " \n", save);
}

static void close_all(void)
{
	/* close_range(3, ~0U, 0) */
	if (syscall(436, 3U, ~0U, 0U) != 0)
		for (int fd = 3; fd < 4096; fd++) close(fd);
}

/* Run one script; returns 0, or -1 with `why` set when the script is malformed. */
static int run_script(char **save, long *rets, int *nrets, const char **why)
{
	char *t = next_tok(save);
	if (!t) { *why = "missing step count"; return -1; }
	int nsteps = atoi(t);
	if (nsteps < 0 || nsteps > MAX_STEPS) { *why = "bad step count"; return -1; }
	*nrets = 0;
	for (int s = 0; s < nsteps; s++) {
		char *kind = next_tok(save);
		if (!kind) { *why = "truncated script"; return -1; }
		if (strcmp(kind, "C") == 0) {
			char *f = next_tok(save);
			if (!f) { *why = "close without fd"; return -1; }
			int fd = atoi(f);
			/* stdio carries the protocol: never closed */
			if (fd >= 0 && fd < 3) { *why = "refusing to close stdio"; return -1; }
			rets[(*nrets)++] = close(fd) == 0 ? 0 : -errno;
			continue;
		}
		if (strcmp(kind, "O") == 0) {
			int fd = open("/dev/null", O_RDONLY);
			rets[(*nrets)++] = fd >= 0 ? fd : -errno;
			continue;
		}
		if (strcmp(kind, "B") != 0) { *why = "unknown step"; return -1; }
		char *cmd_t = next_tok(save), *size_t_ = next_tok(save), *ap = next_tok(save), *attr_t = next_tok(save);
		char *nb_t = attr_t ? next_tok(save) : NULL;
		if (!nb_t) { *why = "truncated bpf step"; return -1; }
		long cmd = strtol(cmd_t, NULL, 10);
		unsigned long size = strtoul(size_t_, NULL, 10);
		int nbufs = atoi(nb_t);
		if (nbufs < 0 || nbufs > MAX_BUFS) { *why = "too many buffers"; return -1; }
		struct buf attr = { 0 }, bufs[MAX_BUFS];
		memset(bufs, 0, sizeof bufs);
		int bad = parse_buf(attr_t, &attr);
		for (int i = 0; i < nbufs && !bad; i++) {
			char *b = next_tok(save);
			bad = !b || parse_buf(b, &bufs[i]);
		}
		char *nr_t = bad ? NULL : next_tok(save);
		int nrel = nr_t ? atoi(nr_t) : -1;
		if (nrel < 0 || nrel > MAX_RELS) bad = 1;
		for (int i = 0; i < nrel && !bad; i++) {
			char *r = next_tok(save), target[8], k;
			unsigned long off;
			long arg, addend;
			if (!r || sscanf(r, "%7[^,],%lu,%c,%ld,%ld", target, &off, &k, &arg, &addend) != 5) { bad = 1; break; }
			struct buf *tb = strcmp(target, "a") == 0 ? &attr : NULL;
			if (!tb) {
				int ti = atoi(target);
				if (ti < 0 || ti >= nbufs) { bad = 1; break; }
				tb = &bufs[ti];
			}
			uint64_t v;
			int width = 8;
			switch (k) {
			case 'b':
				if (arg < 0 || arg >= nbufs) { bad = 1; break; }
				v = (uint64_t)(uintptr_t)bufs[arg].p + (uint64_t)addend;
				break;
			case 'n': v = (uint64_t)addend; break;
			case 'u': v = (uint64_t)(uintptr_t)unmapped_page + (uint64_t)addend; break;
			case 'k': v = KERNEL_ADDR + (uint64_t)addend; break;
			case 'i': case 'j': {
				long id = object_id((int)arg, k == 'j');
				v = (uint64_t)(uint32_t)(id < 0 ? 0 : id + addend);
				width = 4;
				break;
			}
			default: bad = 1; v = 0;
			}
			if (bad) break;
			if (off + width > tb->len) { bad = 1; break; }
			if (width == 8) memcpy(tb->p + off, &v, 8);
			else { uint32_t v32 = (uint32_t)v; memcpy(tb->p + off, &v32, 4); }
		}
		long r = 0;
		if (!bad) {
			void *a = ap[0] == 'b' ? (void *)attr.p : ap[0] == 'n' ? NULL
				: ap[0] == 'u' ? (void *)unmapped_page : (void *)(uintptr_t)KERNEL_ADDR;
			r = sys_bpf(cmd, a, size);
			if (r < 0) r = -errno;
		}
		buf_free(&attr);
		for (int i = 0; i < nbufs; i++) buf_free(&bufs[i]);
		if (bad) { *why = "malformed bpf step"; return -1; }
		rets[(*nrets)++] = r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	close_all();
	/* Four PROT_NONE pages; "unmapped" is the second, so that unmapped + up to 8 KiB never reaches
	 * readable memory (bpfsim's unmapped addresses have nothing mapped around them either). */
	unmapped_page = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (unmapped_page == MAP_FAILED) { perror("mmap"); return 1; }
	unmapped_page += PAGE;
	if (argc > 1 && strcmp(argv[1], "--probe") == 0) {
		unsigned char attr[168];
		memset(attr, 0, sizeof attr);
		uint32_t v[4] = { 2 /* ARRAY */, 4, 4, 1 };
		memcpy(attr, v, sizeof v);
		long fd = sys_bpf(0, attr, sizeof attr);
		if (fd < 0) printf("fail %d\n", errno);
		else { close((int)fd); printf("ok\n"); }
		return 0;
	}
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, stdin) > 0) {
		char *save = NULL;
		char *s = strtok_r(line, " \n", &save);
		if (!s) continue;
		char *seq = next_tok(&save);
		if (strcmp(s, "S") != 0 || !seq) { printf("E 0 not a script\n"); continue; }
		long rets[MAX_STEPS];
		int n = 0;
		const char *why = "";
		alarm(60); /* a call that hangs kills the helper instead of the test run */
		int err = run_script(&save, rets, &n, &why);
		alarm(0);
		close_all();
		if (err) { printf("E %s %s\n", seq, why); continue; }
		printf("R %s", seq);
		for (int i = 0; i < n; i++) printf(" %ld", rets[i]);
		printf("\n");
	}
	free(line);
	return 0;
}
