/**
 * bpf_trace_printk (kernel/trace/bpf_trace.c + bpf_bprintf_prepare in kernel/bpf/helpers.c): a
 * NUL-terminated format with at most three arguments; the text goes to the trace buffer
 * (Kernel.printk, what trace_pipe shows after its "comm-pid [cpu] ... bpf_trace_printk: " prefix).
 */
import { ERRNO } from '../../errno.js';
import type { Helper, Vm } from '../../interpreter/vm.js';
import type { Kernel } from '../kernel.js';
import { argBytes, readBytes } from './mem.js';

const MAX_ARGS = 3;

function readCString(k: Kernel, addr: bigint, max = 1024): string | null {
  let s = '';
  for (let i = 0; i < max; i++) {
    const b = readBytes(k.space, addr + BigInt(i), 1);
    if (!b) return null;
    if (b[0] === 0) return s;
    s += String.fromCharCode(b[0]);
  }
  return s;
}

/** Format like bpf_bprintf_prepare + bstr_printf for the conversions BPF allows; null = -EINVAL. */
export function formatPrintk(k: Kernel, fmt: string, args: bigint[]): string | null {
  let out = '';
  let ai = 0;
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt[i];
    if (c !== '%') { out += c; continue; }
    if (fmt[i + 1] === '%') { out += '%'; i++; continue; }
    let j = i + 1;
    let flags = '';
    while ('-+ 0#'.includes(fmt[j] ?? '\0') && fmt[j] !== undefined) flags += fmt[j++];
    let width = '';
    while (/[0-9]/.test(fmt[j] ?? '')) width += fmt[j++];
    let len = '';
    if (fmt[j] === 'l') { len = 'l'; j++; if (fmt[j] === 'l') { len = 'll'; j++; } }
    else if (fmt[j] === 'h') { len = 'h'; j++; if (fmt[j] === 'h') { len = 'hh'; j++; } }
    else if (fmt[j] === 'z') { len = 'z'; j++; }
    const conv = fmt[j];
    if (conv === undefined) return null;
    if (ai >= MAX_ARGS) return null;
    const raw = args[ai++];
    const bits = len === 'll' || len === 'l' || len === 'z' ? 64 : len === 'h' ? 16 : len === 'hh' ? 8 : 32;
    let text: string;
    switch (conv) {
      case 'd': case 'i': text = BigInt.asIntN(bits, raw).toString(); break;
      case 'u': text = BigInt.asUintN(bits, raw).toString(); break;
      case 'x': text = BigInt.asUintN(bits, raw).toString(16); if (flags.includes('#') && raw !== 0n) text = '0x' + text; break;
      case 'X': text = BigInt.asUintN(bits, raw).toString(16).toUpperCase(); if (flags.includes('#') && raw !== 0n) text = '0X' + text; break;
      case 'c': text = String.fromCharCode(Number(raw & 0xffn)); break;
      case 'p': {
        // %p alone hashes pointers in Linux; %px prints them raw. bpfsim prints raw for both.
        if (/[a-zA-Z]/.test(fmt[j + 1] ?? '') && 'xKsSBiIeE'.includes(fmt[j + 1])) j++;
        text = '0x' + BigInt.asUintN(64, raw).toString(16).padStart(16, '0');
        break;
      }
      case 's': {
        const s = readCString(k, raw);
        text = s ?? '(fault)';
        break;
      }
      default: return null;
    }
    const w = Number(width || '0');
    if (text.length < w) text = flags.includes('-') ? text.padEnd(w) : text.padStart(w, flags.includes('0') && conv !== 's' ? '0' : ' ');
    out += text;
    i = j;
  }
  return out;
}

export function tracePrintkHelper(k: Kernel): [number, Helper] {
  return [6, (vm: Vm) => {
    const size = vm.argU32(2);
    if (size === 0) return -ERRNO.EINVAL;
    const raw = argBytes(k.space, vm.reg(1), size, 'bpf_trace_printk fmt');
    const nul = raw.indexOf(0);
    if (nul !== size - 1 && nul < 0) return -ERRNO.EINVAL;
    const fmt = String.fromCharCode(...raw.subarray(0, nul < 0 ? size : nul));
    const text = formatPrintk(k, fmt, [vm.reg(3), vm.reg(4), vm.reg(5)]);
    if (text === null) return -ERRNO.EINVAL;
    const line = text.endsWith('\n') ? text.slice(0, -1) : text;
    k.printk.push(line);
    k.emit({ type: 'trace_printk', text: line });
    return new TextEncoder().encode(text).length;
  }];
}
