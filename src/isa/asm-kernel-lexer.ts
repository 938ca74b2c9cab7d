/**
 * Tokens of one kernel/LLVM-syntax instruction: registers (`r1`, `w1`), unsigned integer literals
 * (signs are separate tokens), identifiers (`goto`, `bpf_map_lookup_elem`, `kernel-function`,
 * `LBB0_2`, `.text`) and operators, longest first so that `s>>=` is one token and `skb` is a word.
 */
import { AsmError } from './asm-error.js';

export type Token =
  | { readonly t: 'reg'; readonly wide: boolean; readonly n: number; readonly text: string }
  | { readonly t: 'num'; readonly text: string }
  | { readonly t: 'id'; readonly text: string }
  | { readonly t: 'op'; readonly text: string };

const OPERATORS = [
  's>>=', '<<=', '>>=', 's/=', 's%=', 's<=', 's>=', 's<', 's>', '==', '!=', '<=', '>=', '+=', '-=', '*=',
  '/=', '|=', '&=', '%=', '^=', '<', '>', '&', '=', '*', '(', ')', '[', ']', ',', '+', '-', '#', ':',
];

const REG = /^([rw])(\d+)(?![\w.$])/;
const NUM = /^(0x[0-9a-f]+|\d+)(?![\w.$])/i;
const ID = /^[A-Za-z_.$](?:[\w.$]|-(?=[A-Za-z]))*/;

export function tokenize(text: string, line: number): Token[] {
  const out: Token[] = [];
  let s = text;
  for (let guard = 0; guard <= text.length; guard++) {
    s = s.replace(/^\s+/, '');
    if (s === '') return out;
    let m: RegExpExecArray | null;
    // `s<`, `s>=`, `s/=`... are operators only when `s` stands alone before them.
    const op = OPERATORS.find((o) => s.startsWith(o));
    if (op !== undefined && (op[0] !== 's' || /^s[<>/%]/.test(s))) {
      out.push({ t: 'op', text: op });
      s = s.slice(op.length);
    } else if ((m = REG.exec(s))) {
      out.push({ t: 'reg', wide: m[1] === 'r', n: Number(m[2]), text: m[0] });
      s = s.slice(m[0].length);
    } else if ((m = NUM.exec(s))) {
      out.push({ t: 'num', text: m[0] });
      s = s.slice(m[0].length);
    } else if ((m = ID.exec(s))) {
      out.push({ t: 'id', text: m[0] });
      s = s.slice(m[0].length);
    } else {
      throw new AsmError(line, `unexpected character '${s[0]}' in '${text}'`);
    }
  }
  throw new AsmError(line, `cannot tokenize '${text}'`);
}
