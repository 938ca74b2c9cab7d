/*
 * bpf_oracle: a tiny long-lived helper that loads and test-runs eBPF programs in the real kernel,
 * so that bpfsim's interpreter and verifier can be compared against Linux (driven by oracle.ts).
 *
 * It talks to the kernel through raw syscall(SYS_bpf, ...) with attrs built byte by byte at the
 * offsets of Linux 6.18's union bpf_attr (the system <linux/bpf.h> may be older, and libbpf is not
 * a dependency). Unused attr bytes stay zero, as the kernel requires (bpf_check_uarg_tail_zero).
 *
 * Protocol: one request per line on stdin, one response per line on stdout, fields separated by
 * single spaces, byte strings in lower-case hex, "-" for an empty byte string or list.
 *
 *   request  := "L" seq prog_type prog_flags expected_attach_type log_level log_size want_xlated
 *               license insns n_maps map* run
 *   map      := "M" type key_size value_size max_entries flags freeze slots n_entries (key value)*
 *               n_read key*
 *   slots    := "-" | slot ("," slot)*
 *   run      := "0" | "1" ctx data repeat data_out_size
 *
 *   response := "R" seq load_ok errno verified_insns log_true_size log xlated stage run_part
 *               maps_part
 *   stage    := "-" | "map_create:<i>" | "map_update:<i>" | "map_freeze:<i>" | "prog_load"
 *               | "prog_info"
 *   run_part := "0" | "1" run_ok errno retval ctx_out data_out
 *   maps_part:= n_maps (n_read value*)*        (value "!" when the lookup failed)
 *
 * A malformed request gets "E seq message" (seq 0 when it could not be read) and the helper goes
 * on with the next line.
 * Invoked as "bpf_oracle --probe" it loads and test-runs one trivial BPF_PROG_TYPE_SYSCALL program
 * and prints "ok" or "fail <errno> <stage>", for oracleAvailable().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

/* bpf() commands (enum bpf_cmd). */
enum {
	CMD_MAP_CREATE = 0,
	CMD_MAP_LOOKUP_ELEM = 1,
	CMD_MAP_UPDATE_ELEM = 2,
	CMD_PROG_LOAD = 5,
	CMD_PROG_TEST_RUN = 10,
	CMD_OBJ_GET_INFO_BY_FD = 15,
	CMD_MAP_FREEZE = 22,
};

#define PROG_TYPE_SYSCALL 31
#define F_SLEEPABLE 16u
#define ATTR_SIZE 256 /* larger than every command's struct; the tail stays zero */

/* Offsets in union bpf_attr for BPF_PROG_LOAD (Linux 6.18 include/uapi/linux/bpf.h). */
#define PL_PROG_TYPE 0
#define PL_INSN_CNT 4
#define PL_INSNS 8
#define PL_LICENSE 16
#define PL_LOG_LEVEL 24
#define PL_LOG_SIZE 28
#define PL_LOG_BUF 32
#define PL_PROG_FLAGS 44
#define PL_EXPECTED_ATTACH_TYPE 68
#define PL_LOG_TRUE_SIZE 140
/* BPF_MAP_CREATE */
#define MC_MAP_TYPE 0
#define MC_KEY_SIZE 4
#define MC_VALUE_SIZE 8
#define MC_MAX_ENTRIES 12
#define MC_MAP_FLAGS 16
/* BPF_MAP_*_ELEM: map_fd, pad, key, value|next_key, flags */
#define ME_MAP_FD 0
#define ME_KEY 8
#define ME_VALUE 16
#define ME_FLAGS 24
/* BPF_PROG_TEST_RUN (the "test" struct) */
#define TR_PROG_FD 0
#define TR_RETVAL 4
#define TR_DATA_SIZE_IN 8
#define TR_DATA_SIZE_OUT 12
#define TR_DATA_IN 16
#define TR_DATA_OUT 24
#define TR_REPEAT 32
#define TR_CTX_SIZE_IN 40
#define TR_CTX_SIZE_OUT 44
#define TR_CTX_IN 48
#define TR_CTX_OUT 56
/* BPF_OBJ_GET_INFO_BY_FD ("info" struct) and struct bpf_prog_info */
#define GI_BPF_FD 0
#define GI_INFO_LEN 4
#define GI_INFO 8
#define PI_XLATED_PROG_LEN 20
#define PI_XLATED_PROG_INSNS 32
#define PI_VERIFIED_INSNS 216
#define PI_SIZE 512

/* Largest log buffer we grow to: Linux refuses log_size above UINT_MAX >> 2. */
#define LOG_MAX (1u << 30)
#define DEFAULT_LOG_SIZE (1u << 20)
#define MAX_MAPS 64

static void put32(uint8_t *a, int off, uint32_t v) { memcpy(a + off, &v, 4); }
static void put64(uint8_t *a, int off, uint64_t v) { memcpy(a + off, &v, 8); }
static uint32_t get32(const uint8_t *a, int off) { uint32_t v; memcpy(&v, a + off, 4); return v; }
static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

static long sys_bpf(int cmd, uint8_t *attr)
{
	return syscall(SYS_bpf, cmd, attr, ATTR_SIZE);
}

/* ------------------------------------------------------------------ parsing */

struct bytes {
	uint8_t *p;
	size_t n;
};

struct map_req {
	uint32_t type, key_size, value_size, max_entries, flags, freeze;
	uint32_t *slots;
	size_t n_slots;
	struct bytes *keys, *values; /* initial entries */
	size_t n_entries;
	struct bytes *read_keys;
	size_t n_read;
};

struct request {
	uint32_t seq, prog_type, prog_flags, attach_type, log_level, log_size, want_xlated;
	struct bytes license, insns;
	struct map_req maps[MAX_MAPS];
	size_t n_maps;
	int run;
	struct bytes ctx, data;
	uint32_t repeat, data_out_size;
};

static char *cursor;
static const char *parse_error;

static char *next_token(void)
{
	char *t;
	if (cursor == NULL)
		return NULL;
	while (*cursor == ' ')
		cursor++;
	if (*cursor == '\0' || *cursor == '\n')
		return NULL;
	t = cursor;
	while (*cursor != ' ' && *cursor != '\0' && *cursor != '\n')
		cursor++;
	if (*cursor != '\0')
		*cursor++ = '\0';
	return t;
}

static int u32_field(uint32_t *out)
{
	char *t = next_token(), *end;
	unsigned long v;
	if (t == NULL) { parse_error = "missing number"; return -1; }
	errno = 0;
	v = strtoul(t, &end, 10);
	if (*end != '\0' || errno != 0 || v > 0xffffffffUL) { parse_error = "bad number"; return -1; }
	*out = (uint32_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static int hex_field(struct bytes *out)
{
	char *t = next_token();
	size_t len, i;
	out->p = NULL;
	out->n = 0;
	if (t == NULL) { parse_error = "missing hex field"; return -1; }
	if (strcmp(t, "-") == 0)
		return 0;
	len = strlen(t);
	if (len % 2 != 0) { parse_error = "odd hex length"; return -1; }
	out->p = malloc(len / 2 + 1);
	if (out->p == NULL) { parse_error = "out of memory"; return -1; }
	for (i = 0; i < len / 2; i++) {
		int h = hexval(t[2 * i]), l = hexval(t[2 * i + 1]);
		if (h < 0 || l < 0) { parse_error = "bad hex digit"; return -1; }
		out->p[i] = (uint8_t)(h << 4 | l);
	}
	out->n = len / 2;
	return 0;
}

static int slots_field(struct map_req *m)
{
	char *t = next_token(), *s, *end;
	size_t cap = 1;
	if (t == NULL) { parse_error = "missing slots"; return -1; }
	if (strcmp(t, "-") == 0)
		return 0;
	for (s = t; *s; s++)
		if (*s == ',')
			cap++;
	m->slots = calloc(cap, sizeof(uint32_t));
	if (m->slots == NULL) { parse_error = "out of memory"; return -1; }
	for (s = t; m->n_slots < cap;) {
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || (*end != ',' && *end != '\0')) { parse_error = "bad slot list"; return -1; }
		m->slots[m->n_slots++] = (uint32_t)v;
		s = end + (*end == ',');
	}
	return 0;
}

static void free_request(struct request *r)
{
	size_t i, j;
	free(r->license.p);
	free(r->insns.p);
	free(r->ctx.p);
	free(r->data.p);
	for (i = 0; i < r->n_maps; i++) {
		struct map_req *m = &r->maps[i];
		for (j = 0; j < m->n_entries; j++) {
			free(m->keys[j].p);
			free(m->values[j].p);
		}
		for (j = 0; j < m->n_read; j++)
			free(m->read_keys[j].p);
		free(m->keys);
		free(m->values);
		free(m->read_keys);
		free(m->slots);
	}
}

static int parse_map(struct map_req *m)
{
	uint32_t n, i;
	char *t = next_token();
	if (t == NULL || strcmp(t, "M") != 0) { parse_error = "expected M"; return -1; }
	if (u32_field(&m->type) || u32_field(&m->key_size) || u32_field(&m->value_size) ||
	    u32_field(&m->max_entries) || u32_field(&m->flags) || u32_field(&m->freeze) || slots_field(m))
		return -1;
	if (u32_field(&n))
		return -1;
	if (n > 1000000) { parse_error = "too many entries"; return -1; }
	m->keys = calloc(n + 1, sizeof(struct bytes));
	m->values = calloc(n + 1, sizeof(struct bytes));
	if (m->keys == NULL || m->values == NULL) { parse_error = "out of memory"; return -1; }
	for (i = 0; i < n; i++) {
		m->n_entries = i + 1;
		if (hex_field(&m->keys[i]) || hex_field(&m->values[i]))
			return -1;
	}
	if (u32_field(&n))
		return -1;
	if (n > 1000000) { parse_error = "too many read keys"; return -1; }
	m->read_keys = calloc(n + 1, sizeof(struct bytes));
	if (m->read_keys == NULL) { parse_error = "out of memory"; return -1; }
	for (i = 0; i < n; i++) {
		m->n_read = i + 1;
		if (hex_field(&m->read_keys[i]))
			return -1;
	}
	return 0;
}

static int parse_request(char *line, struct request *r)
{
	uint32_t n, i, run;
	char *t;
	cursor = line;
	t = next_token();
	if (t == NULL || strcmp(t, "L") != 0) { parse_error = "expected L"; return -1; }
	if (u32_field(&r->seq) || u32_field(&r->prog_type) || u32_field(&r->prog_flags) ||
	    u32_field(&r->attach_type) || u32_field(&r->log_level) || u32_field(&r->log_size) ||
	    u32_field(&r->want_xlated) ||
	    hex_field(&r->license) || hex_field(&r->insns) || u32_field(&n))
		return -1;
	if (n > MAX_MAPS) { parse_error = "too many maps"; return -1; }
	for (i = 0; i < n; i++) {
		r->n_maps = i + 1;
		if (parse_map(&r->maps[i]))
			return -1;
	}
	if (u32_field(&run))
		return -1;
	r->run = run != 0;
	if (r->run && (hex_field(&r->ctx) || hex_field(&r->data) || u32_field(&r->repeat) ||
		       u32_field(&r->data_out_size)))
		return -1;
	if (r->insns.n % 8 != 0) { parse_error = "instructions are not a multiple of 8 bytes"; return -1; }
	return 0;
}

/* ------------------------------------------------------------------ output */

static void put_hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;
	if (n == 0) {
		fputs(" -", stdout);
		return;
	}
	putchar(' ');
	for (i = 0; i < n; i++) {
		putchar(digits[p[i] >> 4]);
		putchar(digits[p[i] & 15]);
	}
}

/* ------------------------------------------------------------------ kernel work */

struct outcome {
	int load_ok, load_errno;
	uint32_t verified_insns, log_true_size;
	char *log;
	size_t log_len;
	uint8_t *xlated; /* the program after the verifier's rewrites, when asked for */
	uint32_t xlated_len;
	char stage[32];
	int ran, run_ok, run_errno;
	uint32_t retval;
	uint8_t *ctx_out, *data_out;
	size_t ctx_out_len, data_out_len;
	/* per map, per read key: value or NULL */
	uint8_t **read_values[MAX_MAPS];
};

static int create_map(const struct map_req *m)
{
	uint8_t attr[ATTR_SIZE] = {0};
	put32(attr, MC_MAP_TYPE, m->type);
	put32(attr, MC_KEY_SIZE, m->key_size);
	put32(attr, MC_VALUE_SIZE, m->value_size);
	put32(attr, MC_MAX_ENTRIES, m->max_entries);
	put32(attr, MC_MAP_FLAGS, m->flags);
	return (int)sys_bpf(CMD_MAP_CREATE, attr);
}

static int map_elem(int cmd, int fd, const void *key, void *value)
{
	uint8_t attr[ATTR_SIZE] = {0};
	put32(attr, ME_MAP_FD, (uint32_t)fd);
	put64(attr, ME_KEY, ptr(key));
	put64(attr, ME_VALUE, ptr(value));
	put64(attr, ME_FLAGS, 0); /* BPF_ANY */
	return (int)sys_bpf(cmd, attr);
}

static int freeze_map(int fd)
{
	uint8_t attr[ATTR_SIZE] = {0};
	put32(attr, ME_MAP_FD, (uint32_t)fd);
	return (int)sys_bpf(CMD_MAP_FREEZE, attr);
}

/* Load with a log buffer that grows to log_true_size when the kernel reports ENOSPC. */
static int load_prog(const struct request *r, uint8_t *insns, struct outcome *o)
{
	static const char gpl[] = "GPL";
	char *license = NULL;
	uint32_t size = r->log_level ? (r->log_size ? r->log_size : DEFAULT_LOG_SIZE) : 0;
	int fd = -1, attempt;

	if (r->license.n > 0) {
		license = calloc(1, r->license.n + 1);
		if (license == NULL) return -ENOMEM;
		memcpy(license, r->license.p, r->license.n);
	}
	for (attempt = 0; attempt < 6; attempt++) {
		uint8_t attr[ATTR_SIZE] = {0};
		free(o->log);
		o->log = size ? calloc(1, size) : NULL;
		if (size && o->log == NULL) { fd = -ENOMEM; break; }
		put32(attr, PL_PROG_TYPE, r->prog_type);
		put32(attr, PL_INSN_CNT, (uint32_t)(r->insns.n / 8));
		put64(attr, PL_INSNS, ptr(insns));
		put64(attr, PL_LICENSE, ptr(license ? license : gpl));
		put32(attr, PL_LOG_LEVEL, r->log_level);
		put32(attr, PL_LOG_SIZE, size);
		put64(attr, PL_LOG_BUF, ptr(o->log));
		put32(attr, PL_PROG_FLAGS, r->prog_flags);
		put32(attr, PL_EXPECTED_ATTACH_TYPE, r->attach_type);
		fd = (int)sys_bpf(CMD_PROG_LOAD, attr);
		if (fd < 0)
			fd = -errno;
		o->log_true_size = get32(attr, PL_LOG_TRUE_SIZE);
		if (fd == -ENOSPC && size && o->log_true_size > size && o->log_true_size <= LOG_MAX) {
			size = o->log_true_size;
			continue;
		}
		break;
	}
	o->log_len = o->log ? strnlen(o->log, size) : 0;
	free(license);
	return fd;
}

static int prog_info(int prog_fd, uint8_t *info, uint8_t *xlated, uint32_t xlated_len)
{
	uint8_t attr[ATTR_SIZE] = {0};
	memset(info, 0, PI_SIZE);
	if (xlated) {
		put32(info, PI_XLATED_PROG_LEN, xlated_len);
		put64(info, PI_XLATED_PROG_INSNS, ptr(xlated));
	}
	put32(attr, GI_BPF_FD, (uint32_t)prog_fd);
	put32(attr, GI_INFO_LEN, PI_SIZE);
	put64(attr, GI_INFO, ptr(info));
	return sys_bpf(CMD_OBJ_GET_INFO_BY_FD, attr) < 0 ? errno : 0;
}

/* verified_insns, and the xlated instructions when asked (a second call, once their size is known). */
static int read_prog_info(int prog_fd, int want_xlated, struct outcome *o)
{
	uint8_t info[PI_SIZE];
	int err = prog_info(prog_fd, info, NULL, 0);
	uint32_t len;
	if (err)
		return err;
	o->verified_insns = get32(info, PI_VERIFIED_INSNS);
	len = get32(info, PI_XLATED_PROG_LEN);
	if (!want_xlated || len == 0)
		return 0;
	o->xlated = calloc(1, len);
	if (o->xlated == NULL)
		return ENOMEM;
	err = prog_info(prog_fd, info, o->xlated, len);
	if (err == 0)
		o->xlated_len = get32(info, PI_XLATED_PROG_LEN) < len ? get32(info, PI_XLATED_PROG_LEN) : len;
	return err;
}

static void test_run(const struct request *r, int prog_fd, struct outcome *o)
{
	uint8_t attr[ATTR_SIZE] = {0};
	uint8_t *ctx = NULL;
	/* BPF_PROG_TYPE_SYSCALL takes no ctx_out: the kernel copies the context back into ctx_in
	 * (net/bpf/test_run.c, bpf_prog_test_run_syscall). Other types fill ctx_out. */
	int syscall_type = r->prog_type == PROG_TYPE_SYSCALL;
	size_t data_out_cap = r->data.n ? (r->data_out_size ? r->data_out_size : r->data.n + 4096) : 0;

	o->ran = 1;
	if (r->ctx.n) {
		ctx = malloc(r->ctx.n);
		o->ctx_out = calloc(1, r->ctx.n);
		if (ctx == NULL || o->ctx_out == NULL) { o->run_errno = ENOMEM; free(ctx); return; }
		memcpy(ctx, r->ctx.p, r->ctx.n);
	}
	if (data_out_cap) {
		o->data_out = calloc(1, data_out_cap);
		if (o->data_out == NULL) { o->run_errno = ENOMEM; free(ctx); return; }
	}
	put32(attr, TR_PROG_FD, (uint32_t)prog_fd);
	put32(attr, TR_REPEAT, r->repeat);
	if (r->ctx.n) {
		put32(attr, TR_CTX_SIZE_IN, (uint32_t)r->ctx.n);
		put64(attr, TR_CTX_IN, ptr(ctx));
		if (!syscall_type) {
			put32(attr, TR_CTX_SIZE_OUT, (uint32_t)r->ctx.n);
			put64(attr, TR_CTX_OUT, ptr(o->ctx_out));
		}
	}
	if (r->data.n) {
		put32(attr, TR_DATA_SIZE_IN, (uint32_t)r->data.n);
		put64(attr, TR_DATA_IN, ptr(r->data.p));
		put32(attr, TR_DATA_SIZE_OUT, (uint32_t)data_out_cap);
		put64(attr, TR_DATA_OUT, ptr(o->data_out));
	}
	if (sys_bpf(CMD_PROG_TEST_RUN, attr) < 0) {
		o->run_errno = errno;
	} else {
		o->run_ok = 1;
	}
	o->retval = get32(attr, TR_RETVAL);
	if (r->ctx.n) {
		if (syscall_type) {
			memcpy(o->ctx_out, ctx, r->ctx.n);
			o->ctx_out_len = r->ctx.n;
		} else {
			uint32_t n = get32(attr, TR_CTX_SIZE_OUT);
			o->ctx_out_len = n < r->ctx.n ? n : r->ctx.n;
		}
	}
	if (r->data.n) {
		uint32_t n = get32(attr, TR_DATA_SIZE_OUT);
		o->data_out_len = n < data_out_cap ? n : data_out_cap;
	}
	free(ctx);
}

static void handle(struct request *r)
{
	struct outcome o;
	int map_fds[MAX_MAPS];
	size_t i, j;
	int prog_fd = -1;
	uint8_t *insns = NULL;

	memset(&o, 0, sizeof(o));
	for (i = 0; i < MAX_MAPS; i++)
		map_fds[i] = -1;
	strcpy(o.stage, "-");

	insns = malloc(r->insns.n + 8);
	if (insns == NULL) { o.load_errno = ENOMEM; strcpy(o.stage, "prog_load"); goto report; }
	if (r->insns.n)
		memcpy(insns, r->insns.p, r->insns.n);

	for (i = 0; i < r->n_maps; i++) {
		struct map_req *m = &r->maps[i];
		map_fds[i] = create_map(m);
		if (map_fds[i] < 0) {
			o.load_errno = errno;
			snprintf(o.stage, sizeof(o.stage), "map_create:%zu", i);
			goto report;
		}
		for (j = 0; j < m->n_entries; j++) {
			if (m->keys[j].n != m->key_size || m->values[j].n != m->value_size) {
				o.load_errno = EINVAL;
				snprintf(o.stage, sizeof(o.stage), "map_update:%zu", i);
				goto report;
			}
			if (map_elem(CMD_MAP_UPDATE_ELEM, map_fds[i], m->keys[j].p, m->values[j].p) < 0) {
				o.load_errno = errno;
				snprintf(o.stage, sizeof(o.stage), "map_update:%zu", i);
				goto report;
			}
		}
		if (m->freeze && freeze_map(map_fds[i]) < 0) {
			o.load_errno = errno;
			snprintf(o.stage, sizeof(o.stage), "map_freeze:%zu", i);
			goto report;
		}
		/* The fd goes into the imm of the ld_imm64's first slot (BPF_PSEUDO_MAP_FD/VALUE). */
		for (j = 0; j < m->n_slots; j++) {
			if ((size_t)m->slots[j] * 8 + 8 <= r->insns.n)
				put32(insns, (int)(m->slots[j] * 8 + 4), (uint32_t)map_fds[i]);
		}
	}

	prog_fd = load_prog(r, insns, &o);
	if (prog_fd < 0) {
		o.load_errno = -prog_fd;
		prog_fd = -1;
		strcpy(o.stage, "prog_load");
		goto report;
	}
	o.load_ok = 1;
	if (read_prog_info(prog_fd, r->want_xlated, &o))
		strcpy(o.stage, "prog_info");
	if (r->run)
		test_run(r, prog_fd, &o);
	for (i = 0; i < r->n_maps; i++) {
		struct map_req *m = &r->maps[i];
		if (m->n_read == 0) continue;
		o.read_values[i] = calloc(m->n_read, sizeof(uint8_t *));
		if (o.read_values[i] == NULL) continue;
		for (j = 0; j < m->n_read; j++) {
			uint8_t *v = calloc(1, m->value_size ? m->value_size : 1);
			if (v == NULL) continue;
			if (m->read_keys[j].n != m->key_size ||
			    map_elem(CMD_MAP_LOOKUP_ELEM, map_fds[i], m->read_keys[j].p, v) < 0) {
				free(v);
				continue;
			}
			o.read_values[i][j] = v;
		}
	}

report:
	printf("R %u %d %d %u %u", r->seq, o.load_ok, o.load_errno, o.verified_insns, o.log_true_size);
	put_hex((const uint8_t *)o.log, o.log_len);
	put_hex(o.xlated, o.xlated_len);
	printf(" %s", o.stage);
	if (o.ran) {
		printf(" 1 %d %d %u", o.run_ok, o.run_errno, o.retval);
		put_hex(o.ctx_out, o.ctx_out_len);
		put_hex(o.data_out, o.data_out_len);
	} else {
		fputs(" 0", stdout);
	}
	printf(" %zu", r->n_maps);
	for (i = 0; i < r->n_maps; i++) {
		size_t n = o.read_values[i] ? r->maps[i].n_read : 0;
		printf(" %zu", n);
		for (j = 0; j < n; j++) {
			if (o.read_values[i][j] == NULL)
				fputs(" !", stdout);
			else
				put_hex(o.read_values[i][j], r->maps[i].value_size);
			free(o.read_values[i][j]);
		}
		free(o.read_values[i]);
	}
	putchar('\n');
	fflush(stdout);

	if (prog_fd >= 0)
		close(prog_fd);
	for (i = 0; i < MAX_MAPS; i++)
		if (map_fds[i] >= 0)
			close(map_fds[i]);
	free(insns);
	free(o.log);
	free(o.xlated);
	free(o.ctx_out);
	free(o.data_out);
}

/* Load and run "r0 = 0; exit" as a sleepable BPF_PROG_TYPE_SYSCALL program. */
static int probe(void)
{
	static const uint8_t prog[16] = {
		0xb7, 0x00, 0, 0, 0, 0, 0, 0, /* r0 = 0 */
		0x95, 0x00, 0, 0, 0, 0, 0, 0, /* exit */
	};
	uint8_t insns[16], attr[ATTR_SIZE] = {0};
	int fd;
	memcpy(insns, prog, sizeof(prog));
	put32(attr, PL_PROG_TYPE, PROG_TYPE_SYSCALL);
	put32(attr, PL_INSN_CNT, 2);
	put64(attr, PL_INSNS, ptr(insns));
	put64(attr, PL_LICENSE, ptr("GPL"));
	put32(attr, PL_PROG_FLAGS, F_SLEEPABLE);
	fd = (int)sys_bpf(CMD_PROG_LOAD, attr);
	if (fd < 0) {
		printf("fail %d prog_load\n", errno);
		return 1;
	}
	memset(attr, 0, sizeof(attr));
	put32(attr, TR_PROG_FD, (uint32_t)fd);
	if (sys_bpf(CMD_PROG_TEST_RUN, attr) < 0) {
		printf("fail %d test_run\n", errno);
		close(fd);
		return 1;
	}
	close(fd);
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	char *line = NULL;
	size_t cap = 0;
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };

	/* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; harmless elsewhere. */
	setrlimit(RLIMIT_MEMLOCK, &unlimited);
	if (argc > 1 && strcmp(argv[1], "--probe") == 0)
		return probe();

	while (getline(&line, &cap, stdin) > 0) {
		struct request r;
		memset(&r, 0, sizeof(r));
		parse_error = NULL;
		if (parse_request(line, &r) == 0) {
			handle(&r);
		} else {
			printf("E %u %s\n", r.seq, parse_error ? parse_error : "malformed request");
			fflush(stdout);
		}
		free_request(&r);
	}
	free(line);
	return 0;
}
