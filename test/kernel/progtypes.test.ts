/**
 * Program types end to end through BPF_PROG_LOAD and BPF_PROG_TEST_RUN: packet pointers from the
 * context (rewritten like convert_ctx_accesses), legacy packet loads, raw tracepoint arguments,
 * SYSCALL context copy-back and max_ctx_offset.
 */
import { describe, expect, it } from 'vitest';
import { assembleKernelProgram, BpfApi, BPF_F_SLEEPABLE, BPF_PROG_TYPE, ERRNO, Kernel } from '../../src/index.js';
import { testPacket } from '../support/exercise.js';

describe('program types', () => {
  it('XDP: data/data_end become real pointers; bounds-checked packet reads work', () => {
    const bpf = new BpfApi(new Kernel());
    const prog = assembleKernelProgram(`
      r2 = *(u32 *)(r1 + 0)
      r3 = *(u32 *)(r1 + 4)
      r0 = 1
      r4 = r2
      r4 += 14
      if r4 > r3 goto out
      r0 = *(u8 *)(r2 + 12)
      r5 = *(u8 *)(r2 + 13)
      r0 <<= 8
      r0 |= r5
    out:
      exit
    `);
    const { fd } = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_XDP, insns: prog });
    expect(bpf.testRun(fd, { data: testPacket(64) }).retval).toBe(0x0800); // the ethertype
    expect(bpf.testRun(fd, { data: testPacket(14) }).retval).toBe(0x0800);
  });

  it('SOCKET_FILTER: skb->len excludes the Ethernet header, ld_abs reads from the network header', () => {
    const bpf = new BpfApi(new Kernel());
    const len = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: assembleKernelProgram('r0 = *(u32 *)(r1 + 0)\nexit') });
    expect(bpf.testRun(len.fd, { data: testPacket(64) }).retval).toBe(50);
    const pkt = testPacket(64);
    pkt[14] = 0x45; pkt[23] = 17; // IPv4 header: version/IHL, protocol UDP
    const abs = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: assembleKernelProgram('r6 = r1\nr0 = *(u8 *)skb[9]\nexit') });
    expect(bpf.testRun(abs.fd, { data: pkt }).retval).toBe(17);
    // Out of bounds: Linux ends the program with r0 = 0.
    const oob = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: assembleKernelProgram('r6 = r1\nr0 = *(u32 *)skb[1000]\nexit') });
    expect(bpf.testRun(oob.fd, { data: pkt }).retval).toBe(0);
  });

  it('RAW_TRACEPOINT: the context is the u64 argument array', () => {
    const bpf = new BpfApi(new Kernel());
    const { fd } = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_RAW_TRACEPOINT, insns: assembleKernelProgram('r0 = *(u64 *)(r1 + 8)\nexit') });
    const args = new Uint8Array(16);
    args[8] = 39;
    expect(bpf.testRun(fd, { ctx: args }).retval).toBe(39);
    expect(() => bpf.testRun(fd, { ctx: new Uint8Array(8) })).toThrow(expect.objectContaining({ errno: ERRNO.EINVAL })); // < max_ctx_offset
  });

  it('SYSCALL: the context is copied back into ctx_in, and ctx_size_in must cover max_ctx_offset', () => {
    const bpf = new BpfApi(new Kernel());
    const { fd } = bpf.progLoad({
      type: BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL, flags: BPF_F_SLEEPABLE,
      insns: assembleKernelProgram('r2 = 0x1234\n*(u32 *)(r1 + 12) = r2\nr0 = 7\nexit'),
    });
    const out = bpf.testRun(fd, { ctx: new Uint8Array(16) });
    expect(out.retval).toBe(7);
    expect(Array.from(out.ctxOut!.subarray(12))).toEqual([0x34, 0x12, 0, 0]);
    expect(() => bpf.testRun(fd, { ctx: new Uint8Array(8) })).toThrow(expect.objectContaining({ errno: ERRNO.EINVAL }));
    expect(() => bpf.testRun(fd, { ctx: new Uint8Array(16), repeat: 2 })).toThrow(expect.objectContaining({ errno: ERRNO.EINVAL }));
  });

  it('refuses a SYSCALL program without BPF_F_SLEEPABLE, like Linux', () => {
    const bpf = new BpfApi(new Kernel());
    expect(() => bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SYSCALL, insns: assembleKernelProgram('r0 = 0\nexit') }))
      .toThrow(expect.objectContaining({ errno: ERRNO.EINVAL, message: 'Syscall programs can only be sleepable' }));
  });
});

describe('tail calls', () => {
  it('jumps into the program in a PROG_ARRAY slot, falls through on an empty slot, and stops after 33 tail calls', () => {
    const kernel = new Kernel();
    const bpf = new BpfApi(kernel);
    const arr = bpf.mapCreate({ type: 3 /* BPF_MAP_TYPE_PROG_ARRAY */, keySize: 4, valueSize: 4, maxEntries: 4, name: 'jmp' });
    const target = bpf.progLoad({ type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER, insns: assembleKernelProgram('r0 = 42\nexit') });
    bpf.mapUpdate(arr, Uint8Array.of(1, 0, 0, 0), Uint8Array.of(target.fd, 0, 0, 0));
    const caller = (slot: number) => bpf.progLoad({
      type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
      insns: assembleKernelProgram(`r2 = map[fd:${arr}]\nr3 = ${slot}\ncall bpf_tail_call#12\nr0 = 7\nexit`),
    }).fd;
    expect(bpf.testRun(caller(1), { data: testPacket() }).retval).toBe(42);
    expect(bpf.testRun(caller(2), { data: testPacket() }).retval).toBe(7); // empty slot: continue
    // A program that tail-calls itself: Linux stops after MAX_TAIL_CALL_CNT (33) and falls through.
    const self = bpf.progLoad({
      type: BPF_PROG_TYPE.BPF_PROG_TYPE_SOCKET_FILTER,
      insns: assembleKernelProgram(`r6 = r1\nr2 = map[fd:${arr}]\nr3 = 0\ncall bpf_tail_call#12\nr0 = 99\nexit`),
    });
    bpf.mapUpdate(arr, Uint8Array.of(0, 0, 0, 0), Uint8Array.of(self.fd, 0, 0, 0));
    const from = kernel.trace.length;
    expect(bpf.testRun(self.fd, { data: testPacket() }).retval).toBe(99);
    expect(kernel.trace.all.slice(from).filter((e) => e.type === 'note' && e.what.startsWith('tail call into')).length).toBe(33);
  });
});
