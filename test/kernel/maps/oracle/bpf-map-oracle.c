/*
 * bpf-map-oracle: runs a script of BPF map commands against the running kernel's bpf(2) and prints
 * one result line per command. The map tests use it as a differential oracle (DEVELOPERS.md:
 * "tests use bpf() as a differential oracle"). No libbpf and no <linux/bpf.h>: the attr layouts are
 * written at their byte offsets (signing.md §4.3) so that the helper builds against any libc.
 *
 * Script (one command per line, numbers in decimal, byte strings in hex, "-" = none / NULL):
 *   create TYPE KEY_SIZE VALUE_SIZE MAX_ENTRIES FLAGS INNER_FD EXCL   -> ok FD | err ERRNO
 *   update FD KEY VALUE FLAGS                                        -> ok | err ERRNO
 *   lookup FD KEY FLAGS VALUE_LEN                                    -> ok VALUE | err ERRNO
 *   delete FD KEY                                                    -> ok | err ERRNO
 *   next FD KEY KEY_LEN                                              -> ok NEXT_KEY | err ERRNO
 *   keys FD KEY_LEN  (get_next_key from NULL until ENOENT)           -> ok KEY,KEY,... | ok - | err ERRNO
 *   close FD                                                         -> ok
 *   cpu N            (pin the process to CPU N)                      -> ok | err ERRNO
 *   prog TYPE EXPECTED_ATTACH_TYPE  (load "r0 = 0; exit")            -> ok FD | err ERRNO
 *   probe            (can this process use bpf() at all?)            -> ok | err ERRNO
 *   moves TYPE       (a SYSCALL program: insert key 0 of a 4-entry map of TYPE (key 4, value 8),
 *                     look it up, update it, look it up again)      -> ok 1 (the value moved) | ok 0 | err ERRNO
 * EXCL = 1 creates an exclusive map (excl_prog_hash = 32 zero bytes, Linux 6.18+).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ATTR_SIZE 168
#define MAX_BYTES (1 << 20)

static unsigned char key_buf[MAX_BYTES], value_buf[MAX_BYTES], out_buf[MAX_BYTES];

static long sys_bpf(int cmd, unsigned char *attr) {
  return syscall(__NR_bpf, cmd, attr, ATTR_SIZE);
}

static void put32(unsigned char *a, int off, uint32_t v) { memcpy(a + off, &v, 4); }
static void put64(unsigned char *a, int off, uint64_t v) { memcpy(a + off, &v, 8); }

/* Parse a hex string into buf; returns the length, -1 for "-" (NULL), -2 on bad input. */
static long parse_hex(const char *s, unsigned char *buf) {
  if (strcmp(s, "-") == 0) return -1;
  size_t n = strlen(s);
  if (n % 2 != 0 || n / 2 > MAX_BYTES) return -2;
  for (size_t i = 0; i < n / 2; i++) {
    unsigned v;
    if (sscanf(s + 2 * i, "%2x", &v) != 1) return -2;
    buf[i] = (unsigned char)v;
  }
  return (long)(n / 2);
}

static void print_hex(const unsigned char *b, long n) {
  for (long i = 0; i < n; i++) printf("%02x", b[i]);
}

/* struct bpf_insn, and the program of the "moves" command. */
struct insn { uint8_t code; uint8_t regs; int16_t off; int32_t imm; };
#define INSN(c, d, s, o, i) ((struct insn){ (c), (uint8_t)((d) | ((s) << 4)), (o), (i) })

static long moves(unsigned type) {
  unsigned char attr[ATTR_SIZE];
  memset(attr, 0, sizeof attr);
  put32(attr, 0, type); put32(attr, 4, 4); put32(attr, 8, 8); put32(attr, 12, 4);
  int mfd = (int)sys_bpf(0, attr);
  if (mfd < 0) return -1;
  struct insn p[64];
  int n = 0;
  /* key (u32 0) at fp-4, value (u64 0) at fp-16 */
  p[n++] = INSN(0xb7, 1, 0, 0, 0);
  p[n++] = INSN(0x63, 10, 1, -4, 0);
  p[n++] = INSN(0x7b, 10, 1, -16, 0);
  int fails[2], nf = 0;
  for (int round = 0; round < 2; round++) {
    /* bpf_map_update_elem(map, &key, &value, BPF_ANY) */
    p[n++] = INSN(0x18, 1, 1, 0, mfd); p[n++] = INSN(0, 0, 0, 0, 0);
    p[n++] = INSN(0xbf, 2, 10, 0, 0); p[n++] = INSN(0x07, 2, 0, 0, -4);
    p[n++] = INSN(0xbf, 3, 10, 0, 0); p[n++] = INSN(0x07, 3, 0, 0, -16);
    p[n++] = INSN(0xb7, 4, 0, 0, 0); p[n++] = INSN(0x85, 0, 0, 0, 2);
    /* r6 / r7 = bpf_map_lookup_elem(map, &key), NULL -> fail */
    p[n++] = INSN(0x18, 1, 1, 0, mfd); p[n++] = INSN(0, 0, 0, 0, 0);
    p[n++] = INSN(0xbf, 2, 10, 0, 0); p[n++] = INSN(0x07, 2, 0, 0, -4);
    p[n++] = INSN(0x85, 0, 0, 0, 1);
    fails[nf++] = n; p[n++] = INSN(0x15, 0, 0, 0, 0);
    p[n++] = INSN(0xbf, round ? 7 : 6, 0, 0, 0);
  }
  p[n++] = INSN(0xb7, 0, 0, 0, 1);
  p[n++] = INSN(0x5d, 6, 7, 1, 0); /* if r6 != r7 goto exit */
  p[n++] = INSN(0xb7, 0, 0, 0, 0);
  p[n++] = INSN(0x95, 0, 0, 0, 0);
  int fail = n;
  p[n++] = INSN(0xb7, 0, 0, 0, 2);
  p[n++] = INSN(0x95, 0, 0, 0, 0);
  for (int i = 0; i < nf; i++) p[fails[i]].off = (int16_t)(fail - fails[i] - 1);
  static const char license[] = "GPL";
  memset(attr, 0, sizeof attr);
  put32(attr, 0, 31 /* BPF_PROG_TYPE_SYSCALL */); put32(attr, 4, (uint32_t)n);
  put64(attr, 8, (uint64_t)(uintptr_t)p); put64(attr, 16, (uint64_t)(uintptr_t)license);
  put32(attr, 44, 16 /* BPF_F_SLEEPABLE */);
  int pfd = (int)sys_bpf(5, attr);
  if (pfd < 0) { close(mfd); return -1; }
  memset(attr, 0, sizeof attr);
  put32(attr, 0, (uint32_t)pfd);
  long r = sys_bpf(10, attr);
  uint32_t retval;
  memcpy(&retval, attr + 4, 4);
  close(pfd);
  close(mfd);
  if (r < 0) return -1;
  if (retval > 1) { errno = ENOENT; return -1; }
  return retval;
}

static void result(long r) {
  if (r < 0) printf("err %d\n", errno);
  else printf("ok\n");
}

int main(void) {
  static char line[4 * MAX_BYTES + 256];
  static char a1[2 * MAX_BYTES + 8], a2[2 * MAX_BYTES + 8];
  static unsigned char excl_hash[32];
  setvbuf(stdout, NULL, _IOLBF, 0);
  while (fgets(line, sizeof line, stdin)) {
    unsigned char attr[ATTR_SIZE];
    memset(attr, 0, sizeof attr);
    char cmd[32];
    if (sscanf(line, "%31s", cmd) != 1) continue;
    if (strcmp(cmd, "create") == 0) {
      unsigned type, ks, vs, max, flags, excl; int inner;
      if (sscanf(line, "%*s %u %u %u %u %u %d %u", &type, &ks, &vs, &max, &flags, &inner, &excl) != 7) { printf("bad\n"); continue; }
      put32(attr, 0, type); put32(attr, 4, ks); put32(attr, 8, vs); put32(attr, 12, max);
      put32(attr, 16, flags); put32(attr, 20, (uint32_t)inner);
      if (excl) { put64(attr, 80, (uint64_t)(uintptr_t)excl_hash); put32(attr, 88, 32); }
      long fd = sys_bpf(0, attr);
      if (fd < 0) printf("err %d\n", errno); else printf("ok %ld\n", fd);
    } else if (strcmp(cmd, "update") == 0) {
      int fd; unsigned long long flags;
      if (sscanf(line, "%*s %d %s %s %llu", &fd, a1, a2, &flags) != 4) { printf("bad\n"); continue; }
      long kl = parse_hex(a1, key_buf), vl = parse_hex(a2, value_buf);
      if (kl == -2 || vl == -2) { printf("bad\n"); continue; }
      put32(attr, 0, (uint32_t)fd);
      put64(attr, 8, kl < 0 ? 0 : (uint64_t)(uintptr_t)key_buf);
      put64(attr, 16, vl < 0 ? 0 : (uint64_t)(uintptr_t)value_buf);
      put64(attr, 24, flags);
      result(sys_bpf(2, attr));
    } else if (strcmp(cmd, "lookup") == 0) {
      int fd; unsigned long long flags; long len;
      if (sscanf(line, "%*s %d %s %llu %ld", &fd, a1, &flags, &len) != 4 || len < 0 || len > MAX_BYTES) { printf("bad\n"); continue; }
      long kl = parse_hex(a1, key_buf);
      if (kl == -2) { printf("bad\n"); continue; }
      put32(attr, 0, (uint32_t)fd);
      put64(attr, 8, kl < 0 ? 0 : (uint64_t)(uintptr_t)key_buf);
      put64(attr, 16, (uint64_t)(uintptr_t)out_buf);
      put64(attr, 24, flags);
      memset(out_buf, 0xee, (size_t)len);
      if (sys_bpf(1, attr) < 0) printf("err %d\n", errno);
      else { printf("ok "); print_hex(out_buf, len); printf("\n"); }
    } else if (strcmp(cmd, "delete") == 0) {
      int fd;
      if (sscanf(line, "%*s %d %s", &fd, a1) != 2) { printf("bad\n"); continue; }
      long kl = parse_hex(a1, key_buf);
      if (kl == -2) { printf("bad\n"); continue; }
      put32(attr, 0, (uint32_t)fd);
      put64(attr, 8, kl < 0 ? 0 : (uint64_t)(uintptr_t)key_buf);
      result(sys_bpf(3, attr));
    } else if (strcmp(cmd, "next") == 0) {
      int fd; long len;
      if (sscanf(line, "%*s %d %s %ld", &fd, a1, &len) != 3 || len < 0 || len > MAX_BYTES) { printf("bad\n"); continue; }
      long kl = parse_hex(a1, key_buf);
      if (kl == -2) { printf("bad\n"); continue; }
      put32(attr, 0, (uint32_t)fd);
      put64(attr, 8, kl < 0 ? 0 : (uint64_t)(uintptr_t)key_buf);
      put64(attr, 16, (uint64_t)(uintptr_t)out_buf);
      if (sys_bpf(4, attr) < 0) printf("err %d\n", errno);
      else { printf("ok "); print_hex(out_buf, len); printf("\n"); }
    } else if (strcmp(cmd, "keys") == 0) {
      static char keys_out[4 * MAX_BYTES];
      int fd; long len, n = 0, at = 0;
      if (sscanf(line, "%*s %d %ld", &fd, &len) != 2 || len <= 0 || len > 4096) { printf("bad\n"); continue; }
      unsigned char prev[4096];
      int err = 0;
      for (; n < 100000 && at + 2 * len + 2 < (long)sizeof keys_out; n++) {
        memset(attr, 0, sizeof attr);
        put32(attr, 0, (uint32_t)fd);
        put64(attr, 8, n ? (uint64_t)(uintptr_t)prev : 0);
        put64(attr, 16, (uint64_t)(uintptr_t)out_buf);
        if (sys_bpf(4, attr) < 0) { err = errno; break; }
        if (n) keys_out[at++] = ',';
        for (long i = 0; i < len; i++) at += sprintf(keys_out + at, "%02x", out_buf[i]);
        memcpy(prev, out_buf, (size_t)len);
      }
      keys_out[at] = 0;
      if (err != ENOENT) printf("err %d\n", err);
      else printf("ok %s\n", n ? keys_out : "-");
    } else if (strcmp(cmd, "close") == 0) {
      int fd;
      if (sscanf(line, "%*s %d", &fd) != 1) { printf("bad\n"); continue; }
      close(fd);
      printf("ok\n");
    } else if (strcmp(cmd, "cpu") == 0) {
      int cpu; cpu_set_t set;
      if (sscanf(line, "%*s %d", &cpu) != 1) { printf("bad\n"); continue; }
      CPU_ZERO(&set); CPU_SET(cpu, &set);
      result(sched_setaffinity(0, sizeof set, &set));
    } else if (strcmp(cmd, "prog") == 0) {
      unsigned type, eat;
      if (sscanf(line, "%*s %u %u", &type, &eat) != 2) { printf("bad\n"); continue; }
      /* r0 = 0 (mov64 imm: 0xb7); exit (0x95) */
      static const unsigned char insns[16] = { 0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0 };
      static const char license[] = "GPL";
      put32(attr, 0, type); put32(attr, 4, 2);
      put64(attr, 8, (uint64_t)(uintptr_t)insns); put64(attr, 16, (uint64_t)(uintptr_t)license);
      put32(attr, 68, eat);
      long fd = sys_bpf(5, attr);
      if (fd < 0) printf("err %d\n", errno); else printf("ok %ld\n", fd);
    } else if (strcmp(cmd, "moves") == 0) {
      unsigned type;
      if (sscanf(line, "%*s %u", &type) != 1) { printf("bad\n"); continue; }
      long r = moves(type);
      if (r < 0) printf("err %d\n", errno); else printf("ok %ld\n", r);
    } else if (strcmp(cmd, "probe") == 0) {
      put32(attr, 0, 2); put32(attr, 4, 4); put32(attr, 8, 4); put32(attr, 12, 1);
      long fd = sys_bpf(0, attr);
      if (fd < 0) printf("err %d\n", errno); else { close((int)fd); printf("ok\n"); }
    } else {
      printf("bad\n");
    }
  }
  return 0;
}
