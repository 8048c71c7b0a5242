import * as T from '@tessera/tensor';

/** A malformed or unsupported safetensors file; the message names the tensor and what was wrong. */
export class SafetensorsError extends T.TensorError {
  override name = 'SafetensorsError';
}

/** Element types of the format that Tessera reads (and which dtype each becomes). */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16' | 'I32' | 'I64' | 'U8' | 'BOOL';

const SIZE: Record<SafetensorsDType, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

/** One tensor's entry in the header. */
export interface SafetensorsEntry {
  dtype: SafetensorsDType;
  shape: number[];
  /** Byte range within the data section. */
  dataOffsets: [number, number];
}

/** A validated header. */
export interface SafetensorsHeader {
  entries: Record<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

const fail = (msg: string): never => {
  throw new SafetensorsError(`safetensors: ${msg}`);
};

/** Reads and checks the 8-byte header length; `total` is the file size when known. */
export function headerLength(first8: Uint8Array, total: number): number {
  if (first8.byteLength < 8)
    fail(`file of ${first8.byteLength} bytes is shorter than the 8-byte header length`);
  const n = Number(new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (8 + n > total) fail(`header length ${n} runs past the end of a ${total}-byte file`);
  return n;
}

/**
 * Parses and validates the JSON header (`headerBytes`, without the length prefix) of a file whose
 * data section has `dataBytes` bytes: known dtypes, integer shapes, offsets that match the shapes
 * and tile the data section in order without gaps or overlaps, string metadata.
 */
export function parseHeader(headerBytes: Uint8Array, dataBytes: number): SafetensorsHeader {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail('header must be a JSON object');
  const entries: Record<string, SafetensorsEntry> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
        fail('__metadata__ must be an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} must be a string, got ${typeof v}`);
      }
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null) fail(`tensor '${name}': entry must be an object`);
    if (typeof e.dtype !== 'string' || !(e.dtype in SIZE)) {
      fail(
        `tensor '${name}': dtype ${JSON.stringify(e.dtype)} is not one of ${Object.keys(SIZE).join(', ')}`,
      );
    }
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape ${JSON.stringify(e.shape)} must be a list of non-negative integers`);
    }
    const off = e.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      off[0] > off[1]
    ) {
      fail(`tensor '${name}': data_offsets ${JSON.stringify(off)} must be [begin, end] with 0 ≤ begin ≤ end`);
    }
    const dtype = e.dtype as SafetensorsDType;
    const shape = e.shape as number[];
    const [begin, end] = off as [number, number];
    const want = shape.reduce((a, b) => a * b, 1) * SIZE[dtype];
    if (end - begin !== want)
      fail(
        `tensor '${name}': ${dtype}[${shape.join(', ')}] needs ${want} bytes, data_offsets give ${end - begin}`,
      );
    if (end > dataBytes)
      fail(`tensor '${name}': data_offsets end ${end} is past the ${dataBytes}-byte data section`);
    entries[name] = { dtype, shape, dataOffsets: [begin, end] };
  }
  // The data section must be covered exactly, in order.
  let at = 0;
  for (const [name, e] of Object.entries(entries).sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0])) {
    if (e.dataOffsets[0] !== at)
      fail(`tensor '${name}': starts at byte ${e.dataOffsets[0]}, expected ${at} (gap or overlap)`);
    at = e.dataOffsets[1];
  }
  if (at !== dataBytes) fail(`tensors cover ${at} bytes of a ${dataBytes}-byte data section`);
  return { entries, metadata, dataStart: 8 + headerBytes.byteLength };
}

/** Validates a whole file held in memory. */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const n = headerLength(bytes, bytes.byteLength);
  return parseHeader(bytes.subarray(8, 8 + n), bytes.byteLength - 8 - n);
}

/** f16 bits → number (exact). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** number → f16 bits, rounding to nearest even. */
export function floatToHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  const man = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = man | 0x800000;
    const shift = 14 - e;
    let half = full >>> shift;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (man >>> 13);
  const rem = man & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** number → bf16 bits, rounding to nearest even. */
export function floatToBf16(x: number): number {
  f32[0] = x;
  const b = u32[0];
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Decodes one tensor's bytes (any alignment) into a Tessera tensor. */
function decode(name: string, e: SafetensorsEntry, raw: Uint8Array, backend?: T.Backend): T.Tensor {
  const n = e.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const opts = { shape: e.shape, backend };
  switch (e.dtype) {
    case 'F32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      return T.tensor(out, opts);
    }
    case 'F16':
    case 'BF16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const h = view.getUint16(i * 2, true);
        if (e.dtype === 'F16') out[i] = halfToFloat(h);
        else {
          u32[0] = h << 16;
          out[i] = f32[0];
        }
      }
      return T.tensor(out, opts);
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      return T.tensor(out, opts);
    }
    case 'I64': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n)
          fail(`tensor '${name}': I64 value ${v} at element ${i} does not fit in i32`);
        out[i] = Number(v);
      }
      return T.tensor(out, opts);
    }
    case 'U8':
      return T.tensor(raw.slice(), opts);
    case 'BOOL':
      return T.tensor(raw.slice(), { ...opts, dtype: 'bool' });
  }
}

/** Options of the readers. */
export interface ReadOptions {
  /** Backend of the new tensors (default: the current default). */
  backend?: T.Backend;
  /** Read only these tensors (all by default); a name not in the file throws. */
  names?: string[];
}

function selected(h: SafetensorsHeader, names?: string[]): [string, SafetensorsEntry][] {
  const all = Object.entries(h.entries);
  if (!names) return all;
  for (const n of names) if (!(n in h.entries)) fail(`no tensor named '${n}' (the file has ${all.length})`);
  return all.filter(([n]) => names.includes(n));
}

/**
 * Reads tensors from a safetensors file in memory. F16 and BF16 become f32 (exactly), I64 becomes
 * i32 (values outside i32 throw), BOOL becomes bool (nonzero bytes as true).
 */
export function readSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  options: ReadOptions = {},
): Record<string, T.Tensor> {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const h = parseSafetensorsHeader(u8);
  const out: Record<string, T.Tensor> = {};
  for (const [name, e] of selected(h, options.names)) {
    out[name] = decode(
      name,
      e,
      u8.subarray(h.dataStart + e.dataOffsets[0], h.dataStart + e.dataOffsets[1]),
      options.backend,
    );
  }
  return out;
}

/** Metadata (`__metadata__`) of a file in memory. */
export const readSafetensorsMetadata = (bytes: Uint8Array): Record<string, string> =>
  parseSafetensorsHeader(bytes).metadata;

/**
 * Storage type per tensor when writing; default from the dtype (f32 → F32, f16 → F16, i32 → I32,
 * u32 → I64, u8 → U8, bool → BOOL).
 */
export type WriteDTypes = Record<string, SafetensorsDType>;

const DEFAULT_DTYPE: Record<T.DType, SafetensorsDType> = {
  f32: 'F32',
  f16: 'F16',
  i32: 'I32',
  u32: 'I64',
  u8: 'U8',
  bool: 'BOOL',
};
const defaultDType = (t: T.Tensor) => DEFAULT_DTYPE[t.dtype];

function encode(values: ArrayLike<number>, dtype: SafetensorsDType): Uint8Array {
  const n = values.length;
  const out = new Uint8Array(n * SIZE[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (dtype === 'F32') view.setFloat32(i * 4, v, true);
    else if (dtype === 'F16') view.setUint16(i * 2, floatToHalf(v), true);
    else if (dtype === 'BF16') view.setUint16(i * 2, floatToBf16(v), true);
    else if (dtype === 'I32') view.setInt32(i * 4, v, true);
    else if (dtype === 'I64') view.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
    else if (dtype === 'BOOL') out[i] = v !== 0 ? 1 : 0;
    else out[i] = v;
  }
  return out;
}

/**
 * Serialises tensors (sorted by name, as the reference implementation writes them) with optional
 * string metadata; the header is padded with spaces to a multiple of 8 bytes.
 */
export async function writeSafetensors(
  tensors: Record<string, T.Tensor>,
  metadata?: Record<string, string>,
  dtypes: WriteDTypes = {},
): Promise<Uint8Array> {
  const names = Object.keys(tensors).sort();
  const chunks: Uint8Array[] = [];
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let at = 0;
  for (const name of names) {
    const t = tensors[name];
    const chunk = encode(await t.data(), dtypes[name] ?? defaultDType(t));
    header[name] = {
      dtype: dtypes[name] ?? defaultDType(t),
      shape: [...t.shape],
      data_offsets: [at, at + chunk.byteLength],
    };
    chunks.push(chunk);
    at += chunk.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).byteLength % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + at);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  let pos = 8 + head.byteLength;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}
