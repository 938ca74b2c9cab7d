/**
 * .BTF.ext: the per-instruction BTF records clang emits next to .BTF (libbpf's btf_ext__new):
 * func_info (which BTF FUNC starts at which instruction), line_info (source file, line and column
 * per instruction) and CO-RE relocations. Each kind is a record size followed by per-ELF-section
 * blocks { sec_name_off, num_info, records[num_info] }. Offsets in the header are relative to its
 * end; instruction offsets are in bytes, as in the object file. Validation follows libbpf
 * (btf_ext_setup_info): 4-byte aligned blocks inside the section, a record size at least the
 * known record and a multiple of 4, at least one block, no empty block. Throws ElfError('BAD_BTF_EXT').
 */
import { ElfError } from './elf.js';

export interface BtfExtFuncInfo {
  insnOff: number;
  typeId: number;
}

export interface BtfExtLineInfo {
  insnOff: number;
  fileNameOff: number;
  lineOff: number;
  lineCol: number;
  /** BPF_LINE_INFO_LINE_NUM(line_col) */
  line: number;
  /** BPF_LINE_INFO_LINE_COL(line_col) */
  col: number;
}

/** enum bpf_core_relo_kind. */
export const BPF_CORE_RELO_KIND = [
  'FIELD_BYTE_OFFSET', 'FIELD_BYTE_SIZE', 'FIELD_EXISTS', 'FIELD_SIGNED', 'FIELD_LSHIFT_U64', 'FIELD_RSHIFT_U64',
  'TYPE_ID_LOCAL', 'TYPE_ID_TARGET', 'TYPE_EXISTS', 'TYPE_SIZE', 'ENUMVAL_EXISTS', 'ENUMVAL_VALUE', 'TYPE_MATCHES',
] as const;

export interface BtfExtCoreRelo {
  insnOff: number;
  typeId: number;
  accessStrOff: number;
  kind: number;
}

export interface BtfExtSection<T> {
  /** Offset of the ELF section name in the .BTF string section, and the name when resolvable. */
  secNameOff: number;
  secName: string | null;
  records: T[];
}

export interface BtfExt {
  version: number;
  flags: number;
  hdrLen: number;
  funcInfoRecSize: number;
  lineInfoRecSize: number;
  coreReloRecSize: number;
  funcInfo: BtfExtSection<BtfExtFuncInfo>[];
  lineInfo: BtfExtSection<BtfExtLineInfo>[];
  coreRelo: BtfExtSection<BtfExtCoreRelo>[];
}

const MIN_HDR = 24; // through line_info_len
const CORE_HDR = 32; // through core_relo_len

function bad(msg: string): never {
  throw new ElfError('BAD_BTF_EXT', msg);
}

/**
 * Parse .BTF.ext. `str(off)` resolves names in the .BTF string section (null when out of range);
 * without it, section names are left null.
 */
export function parseBtfExt(data: Uint8Array, str?: (off: number) => string | null): BtfExt {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.length < 8) bad(`.BTF.ext too short (${data.length} bytes)`);
  if (dv.getUint16(0, true) !== 0xeb9f) bad('.BTF.ext has a bad magic');
  const version = data[2];
  const flags = data[3];
  if (version !== 1) bad(`.BTF.ext version ${version} is not supported`);
  if (flags !== 0) bad(`.BTF.ext flags 0x${flags.toString(16)} are not supported`);
  const hdrLen = dv.getUint32(4, true);
  if (hdrLen < MIN_HDR) bad(`.BTF.ext header of ${hdrLen} bytes is too small`);
  if (hdrLen > data.length) bad(`.BTF.ext header of ${hdrLen} bytes is longer than the section`);
  const word = (i: number) => dv.getUint32(8 + i * 4, true);

  function section<T>(what: string, off: number, len: number, minRec: number, read: (at: number) => T): { recSize: number; secs: BtfExtSection<T>[] } {
    if (len === 0) return { recSize: 0, secs: [] };
    if (off & 3) bad(`${what} section is not aligned to 4 bytes`);
    const start = hdrLen + off;
    if (start > data.length || len > data.length - start) bad(`${what} section (off:${off} len:${len}) is beyond the end of .BTF.ext`);
    if (len < 4) bad(`.BTF.ext ${what} record size not found`);
    const recSize = dv.getUint32(start, true);
    if (recSize < minRec || recSize & 3) bad(`${what} record size ${recSize}`);
    let p = start + 4;
    let left = len - 4;
    if (!left) bad(`${what} section in .BTF.ext has no records`);
    const secs: BtfExtSection<T>[] = [];
    // Each block consumes at least 8 + recSize bytes, so this loop ends.
    while (left) {
      if (left < 8) bad(`${what} section header is not found`);
      const secNameOff = dv.getUint32(p, true);
      const num = dv.getUint32(p + 4, true);
      if (num === 0 || left - 8 < num * recSize) bad(`${what} section has incorrect num_records`);
      let secName: string | null = null;
      if (str) {
        secName = str(secNameOff);
        if (secName === null) bad(`${what}: section name offset ${secNameOff} is outside the BTF strings`);
      }
      const records: T[] = [];
      for (let i = 0; i < num; i++) records.push(read(p + 8 + i * recSize));
      secs.push({ secNameOff, secName, records });
      const total = 8 + num * recSize;
      p += total;
      left -= total;
    }
    return { recSize, secs };
  }

  const fi = section('func_info', word(0), word(1), 8, (at) => ({ insnOff: dv.getUint32(at, true), typeId: dv.getUint32(at + 4, true) }));
  const li = section('line_info', word(2), word(3), 16, (at) => {
    const lineCol = dv.getUint32(at + 12, true);
    return {
      insnOff: dv.getUint32(at, true), fileNameOff: dv.getUint32(at + 4, true), lineOff: dv.getUint32(at + 8, true),
      lineCol, line: lineCol >>> 10, col: lineCol & 0x3ff,
    };
  });
  const cr = hdrLen >= CORE_HDR
    ? section('core_relo', word(4), word(5), 16, (at) => ({
      insnOff: dv.getUint32(at, true), typeId: dv.getUint32(at + 4, true), accessStrOff: dv.getUint32(at + 8, true), kind: dv.getUint32(at + 12, true),
    }))
    : { recSize: 0, secs: [] };
  return {
    version, flags, hdrLen,
    funcInfoRecSize: fi.recSize, lineInfoRecSize: li.recSize, coreReloRecSize: cr.recSize,
    funcInfo: fi.secs, lineInfo: li.secs, coreRelo: cr.secs,
  };
}
