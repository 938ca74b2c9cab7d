/*
 * Differential oracle for bpfsim's BTF_LOAD model: feeds BTF blobs to the running kernel's
 * BPF_BTF_LOAD and reports what it returned, the log buffer and btf_log_true_size.
 *
 * Protocol (all integers little-endian u32), repeated until EOF on stdin:
 *   request:  btf_len, btf_size (value put in attr.btf_size; may exceed btf_len), log_level,
 *             log_size, flags (bit 0: pass a log buffer), then btf_len bytes.
 *   response: ret (fd or -errno; the fd is closed at once), log_true_size, log_len, then log_len
 *             bytes: the log buffer up to its first NUL (log_len = 0xffffffff when the buffer was
 *             not touched at all, i.e. still holds the 0xA5 marker in its first byte).
 * The BTF bytes are placed at the end of a mapping followed by a PROT_NONE page, so a btf_size
 * larger than btf_len makes the kernel fault (EFAULT) instead of reading stray memory.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct btf_load_attr {
	uint64_t btf;
	uint64_t btf_log_buf;
	uint32_t btf_size;
	uint32_t btf_log_size;
	uint32_t btf_log_level;
	uint32_t btf_log_true_size;
	uint32_t btf_flags;
	int32_t btf_token_fd;
};

static int read_full(void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(0, (char *)buf + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void write_full(const void *buf, size_t n)
{
	size_t put = 0;
	while (put < n) {
		ssize_t r = write(1, (const char *)buf + put, n - put);
		if (r <= 0)
			exit(2);
		put += (size_t)r;
	}
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	for (;;) {
		uint32_t hdr[5];
		if (read_full(hdr, sizeof(hdr)))
			return 0;
		uint32_t btf_len = hdr[0], btf_size = hdr[1], log_level = hdr[2], log_size = hdr[3], flags = hdr[4];
		size_t data_pages = (btf_len + page - 1) / page + 1;
		char *map = mmap(NULL, (data_pages + 1) * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (map == MAP_FAILED)
			return 3;
		mprotect(map + data_pages * page, page, PROT_NONE);
		char *btf = map + data_pages * page - btf_len;
		if (read_full(btf, btf_len))
			return 4;
		char *log = NULL;
		size_t log_map = log_size ? log_size : 1;
		if (flags & 1) {
			/* Lazily mapped, so a huge (rejected) size costs nothing; only the first byte needs
			 * the fill pattern to tell an untouched buffer from a written one. */
			log = mmap(NULL, log_map, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (log == MAP_FAILED)
				return 5;
			log[0] = (char)0xA5;
		}
		struct btf_load_attr attr;
		memset(&attr, 0, sizeof(attr));
		attr.btf = (uint64_t)(uintptr_t)btf;
		attr.btf_size = btf_size;
		attr.btf_log_level = log_level;
		attr.btf_log_size = log_size;
		attr.btf_log_buf = (uint64_t)(uintptr_t)log;
		long ret = syscall(SYS_bpf, 18 /* BPF_BTF_LOAD */, &attr, sizeof(attr));
		if (ret < 0)
			ret = -errno;
		else
			close((int)ret);
		uint32_t out[3];
		out[0] = (uint32_t)(int32_t)ret;
		out[1] = attr.btf_log_true_size;
		out[2] = 0xffffffffu;
		size_t n = 0;
		if (log && log_size && (unsigned char)log[0] != 0xA5) {
			while (n < log_size && log[n])
				n++;
			out[2] = (uint32_t)n;
		}
		write_full(out, sizeof(out));
		if (n)
			write_full(log, n);
		if (log)
			munmap(log, log_map);
		munmap(map, (data_pages + 1) * page);
	}
}
