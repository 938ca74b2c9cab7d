/** Reading `llvm-readelf --wide -S -s -r` (GNU style) output, the independent reference for the ELF tests. */

export interface ReadelfSection { nr: number; name: string; type: string; off: number; size: number; es: number; flg: string; lk: number; inf: number; al: number }
export interface ReadelfSymbol { num: number; value: number; size: number; type: string; bind: string; vis: string; ndx: string; name: string }
export interface ReadelfReloc { section: string; offset: number; type: string; symValue: number; symName: string }

export interface Readelf {
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocs: ReadelfReloc[];
}

export function parseReadelf(text: string): Readelf {
  const sections: ReadelfSection[] = [];
  const symbols: ReadelfSymbol[] = [];
  const relocs: ReadelfReloc[] = [];
  let relSection: string | null = null;
  for (const line of text.split('\n')) {
    let m = /^\s*\[\s*(\d+)\] (\S*)\s+(\S+)\s+([0-9a-f]{16}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+)\s+(\S*)\s+(\d+)\s+(\d+)\s+(\d+)$/.exec(line);
    if (m) {
      sections.push({
        nr: +m[1], name: m[2], type: m[3], off: parseInt(m[5], 16), size: parseInt(m[6], 16), es: parseInt(m[7], 16),
        flg: m[8], lk: +m[9], inf: +m[10], al: +m[11],
      });
      continue;
    }
    m = /^\s*(\d+): ([0-9a-f]{16})\s+(\d+) (\S+)\s+(\S+)\s+(\S+)\s+(\S+) ?(.*)$/.exec(line);
    if (m) {
      symbols.push({ num: +m[1], value: parseInt(m[2], 16), size: +m[3], type: m[4], bind: m[5], vis: m[6], ndx: m[7], name: m[8] });
      continue;
    }
    m = /^Relocation section '(.*)' at offset/.exec(line);
    if (m) {
      relSection = m[1];
      continue;
    }
    m = /^([0-9a-f]{16})\s+([0-9a-f]{16}) (\S+)\s+([0-9a-f]{16}) (.*)$/.exec(line);
    if (m && relSection) relocs.push({ section: relSection, offset: parseInt(m[1], 16), type: m[3], symValue: parseInt(m[4], 16), symName: m[5] });
  }
  return { sections, symbols, relocs };
}
