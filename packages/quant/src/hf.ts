/**
 * The Hugging Face transformers / bitsandbytes 4-bit checkpoint layout, read from
 * bitsandbytes-foundation/bitsandbytes 0.50.2.dev0 (commit 95f9af309d4d): `QuantState.as_dict(packed=True)`
 * and `from_dict` (bitsandbytes/functional.py L494-580), `pack_dict_to_tensor` (utils.py L166),
 * `Linear4bit._save_to_state_dict` (nn/modules.py L593) and the CPU kernel's packed shape
 * (backends/default/ops.py L233); transformers' quantizer_bnb_4bit.py (commit 009ba7ca964c) hands every
 * `<param>.*` key to `Params4bit.from_prequantized`. Per quantized Linear weight `<p>` (e.g. `…q_proj.weight`):
 * - `<p>`: u8 [(n + 1) / 2, 1], element 2j in the high nibble; an odd n pads with the code of 0; with
 *   `quant_storage` (default/ops.py L257-258) the same bytes viewed as F16, BF16 or F32 [bytes / size, 1];
 * - `<p>.absmax`: f32 [blocks], or with double quantization u8 codes [blocks];
 * - `<p>.quant_map`: f32 [16], the nf4 or fp4 code book;
 * - `<p>.nested_absmax`: f32 [ceil(blocks / 256)] and `<p>.nested_quant_map`: f32 [256] (dynamic map);
 * - `<p>.quant_state.bitsandbytes__nf4|fp4`: u8, the UTF-8 `json.dumps` of quant_type, blocksize, dtype
 *   (`str(torch.float32).strip("torch.")` = "float32"), shape (a list) and, when nested,
 *   nested_blocksize, nested_dtype ("float32") and nested_offset (a Python float).
 */
import { parseSafetensorsHeader, readSafetensors, type WriteDTypes, writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Quantized4 } from './blockwise.js';
import { fail, isBlockSize as isBlock, shapeSize, show } from './checks.js';
import { codeBook, DYNAMIC_CODE, encode4 } from './codebooks.js';
import { checkQuantized4 } from './validate.js';

/** The dtype a bitsandbytes weight records as its original (dequantized) dtype. */
export type BnbDType = 'float32' | 'float16' | 'bfloat16';

const DTYPES: readonly string[] = ['float32', 'float16', 'bfloat16'];
const STATE = '.quant_state.';
const STATE_KEYS = ['quant_type', 'blocksize', 'dtype', 'shape'];
const NESTED_KEYS = ['nested_blocksize', 'nested_dtype', 'nested_offset'];
// Tensor suffixes bitsandbytes writes, with the safetensors dtypes it stores them in. The packed codes
// are U8, or with `quant_storage` (as FSDP-QLoRA sets it) the same bytes viewed as F16, BF16 or F32.
const SUFFIXES: Record<string, string[]> = {
  '': ['U8', 'F16', 'BF16', 'F32'],
  '.absmax': ['F32', 'U8'],
  '.quant_map': ['F32'],
  '.nested_absmax': ['F32'],
  '.nested_quant_map': ['F32'],
};
/** Bytes per element of the `quant_storage` dtypes. */
const STORAGE_BYTES: Record<string, number> = { U8: 1, F16: 2, BF16: 2, F32: 4 };

const numel = (what: string, shape: unknown): number => shapeSize(what, shape);
const orList = (xs: string[]): string =>
  xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : xs[0];

/** Python's float repr, which json.dumps writes: JS's shortest digits, Python's layout (1.0, 1e-05, 1e+16). */
function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mant, e = '0'] = Math.abs(x).toString().split('e');
  const [int, frac = ''] = mant.split('.');
  const lead = (int + frac).search(/[1-9]/);
  const digits = (int + frac).slice(lead).replace(/0+$/, '');
  const exp = Number(e) + int.length - 1 - lead;
  const s =
    exp < -4 || exp >= 16
      ? `${digits[0]}${digits.length > 1 ? `.${digits.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`
      : exp < 0
        ? `0.${'0'.repeat(-exp - 1)}${digits}`
        : `${digits.slice(0, exp + 1).padEnd(exp + 1, '0')}.${digits.slice(exp + 1) || '0'}`;
  return x < 0 ? `-${s}` : s;
}

/** json.dumps with its default separators, so the bytes match what bitsandbytes writes. */
const pyJson = (state: Record<string, string | number | number[]>): string =>
  `{${Object.entries(state)
    .map(([k, v]) => {
      const value = Array.isArray(v)
        ? `[${v.join(', ')}]`
        : k === 'nested_offset'
          ? pyFloat(v as number)
          : JSON.stringify(v);
      return `${JSON.stringify(k)}: ${value}`;
    })
    .join(', ')}}`;

/** Options of {@link bnbTensors}. */
export interface BnbTensorOptions {
  /** The original dtype to record (bitsandbytes dequantizes to it); default `float32`. */
  dtype?: BnbDType;
}

/**
 * The state-dict entries bitsandbytes' `Linear4bit` saves for one weight, as CPU tensors: `prefix`
 * (the weight's own name, e.g. `model.layers.0.self_attn.q_proj.weight`) and `prefix.absmax`,
 * `.quant_map`, `.nested_absmax`, `.nested_quant_map`, `.quant_state.bitsandbytes__nf4|fp4`. Int4 has no
 * bitsandbytes equivalent and throws, as does a tensor whose parts disagree with its shape.
 */
export function bnbTensors(
  prefix: string,
  q: Quantized4,
  options: BnbTensorOptions = {},
): Record<string, T.Tensor> {
  const where = `bnbTensors('${prefix}')`;
  if (typeof prefix !== 'string' || !prefix)
    fail(`bnbTensors: prefix must be a tensor name, got ${show(prefix)}`);
  if (typeof q !== 'object' || q === null)
    fail(`${where}: q must be a quantized 4-bit tensor, got ${show(q)}`);
  const dtype = options.dtype ?? 'float32';
  if (q.type !== 'nf4' && q.type !== 'fp4')
    fail(`${where}: type must be 'nf4' or 'fp4' (the types bitsandbytes serialises), got ${show(q.type)}`);
  if (!DTYPES.includes(dtype))
    fail(`${where}: dtype must be one of ${DTYPES.join(', ')}, got ${show(dtype)}`);
  const n = checkQuantized4(where, q);
  const blocks = Math.ceil(n / q.blockSize);
  const cpu = (data: Uint8Array | Float32Array, shape: number[]) =>
    T.tensor(data.slice(), {
      shape,
      dtype: data instanceof Uint8Array ? 'u8' : 'f32',
      backend: T.cpuBackend,
    });
  // bitsandbytes quantizes a scaled 0 into an odd tensor's last nibble; we write the same byte.
  const packed = q.packed.slice();
  if (n % 2) packed[packed.length - 1] = (packed[packed.length - 1] & 0xf0) | encode4(q.type, 0);
  const out: Record<string, T.Tensor> = {
    [prefix]: cpu(packed, [packed.length, 1]),
    // get_4bit_type's fp4 list spells code 8 as the Python int -0, i.e. +0 (functional.py L823): write that.
    [`${prefix}.quant_map`]: cpu(
      Float32Array.from(codeBook(q.type), (v) => v + 0),
      [16],
    ),
  };
  const state: Record<string, string | number | number[]> = {
    quant_type: q.type,
    blocksize: q.blockSize,
    dtype,
    shape: [...q.shape],
  };
  if (q.nested) {
    const { offset, inner } = q.nested;
    if (inner.code !== 'dynamic')
      fail(`${where}: nested.inner.code must be 'dynamic' (bitsandbytes' map), got ${show(inner.code)}`);
    const outer = Math.ceil(blocks / inner.blockSize);
    out[`${prefix}.absmax`] = cpu(inner.codes, [blocks]);
    out[`${prefix}.nested_absmax`] = cpu(inner.absmax, [outer]);
    out[`${prefix}.nested_quant_map`] = cpu(inner.map ?? DYNAMIC_CODE, [256]);
    Object.assign(state, {
      nested_blocksize: inner.blockSize,
      nested_dtype: 'float32',
      nested_offset: offset,
    });
  } else out[`${prefix}.absmax`] = cpu(q.absmax!, [blocks]);
  const json = new TextEncoder().encode(pyJson(state));
  out[`${prefix}${STATE}bitsandbytes__${q.type}`] = cpu(json, [json.length]);
  return out;
}

/** The keys that belong to `prefix`, checked against what bitsandbytes writes; returns the state key. */
function ownKeys(prefix: string, names: string[]): { own: string[]; stateKey: string; type: 'nf4' | 'fp4' } {
  const own = names.filter((k) => k === prefix || k.startsWith(`${prefix}.`));
  const states = own.filter((k) => k.startsWith(prefix + STATE));
  if (states.length === 0) fail(`'${prefix}${STATE}bitsandbytes__nf4' (or __fp4) is missing`);
  if (states.length > 1)
    fail(`'${prefix}': expected exactly one quant_state entry, got ${states.length} (${states.join(', ')})`);
  const stateKey = states[0];
  const suffix = stateKey.slice(prefix.length + STATE.length);
  if (suffix !== 'bitsandbytes__nf4' && suffix !== 'bitsandbytes__fp4')
    fail(`'${stateKey}': expected quant_state.bitsandbytes__nf4 or __fp4, got quant_state.${suffix}`);
  for (const k of own) {
    if (k !== stateKey && !(k.slice(prefix.length) in SUFFIXES))
      fail(
        `'${k}': unexpected entry for quantized '${prefix}' (bitsandbytes writes ${Object.keys(SUFFIXES).join(', ')})`,
      );
  }
  return { own, stateKey, type: suffix.slice(-3) as 'nf4' | 'fp4' };
}

/** How a checkpoint stores the packed codes when not as U8: the dtype and shape of its header entry. */
interface PackedStorage {
  dtype: string;
  shape: number[];
}

async function decode(
  prefix: string,
  entries: Record<string, T.Tensor>,
  storage?: PackedStorage,
): Promise<{ q: Quantized4; dtype: BnbDType }> {
  const { stateKey, type } = ownKeys(prefix, Object.keys(entries));
  const get = async (key: string, dtype: 'u8' | 'f32', shape: number[]) => {
    const t = entries[key];
    if (!t) fail(`'${key}' is missing`);
    if (t.dtype !== dtype) fail(`'${key}': dtype must be ${dtype}, got ${t.dtype}`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
      fail(`'${key}': shape must be [${shape.join(', ')}], got [${t.shape.join(', ')}]`);
    return t.data();
  };
  const raw = entries[stateKey];
  if (raw.dtype !== 'u8' || raw.shape.length !== 1)
    fail(`'${stateKey}': must be a 1-D u8 tensor, got ${raw.dtype}[${raw.shape.join(', ')}]`);
  let state: Record<string, unknown> = {};
  try {
    state = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode((await raw.data()) as Uint8Array));
  } catch (e) {
    fail(`'${stateKey}': expected UTF-8 JSON, got bytes that fail to parse (${(e as Error).message})`);
  }
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    fail(`'${stateKey}': expected a JSON object, got ${show(state)}`);
  for (const k of Object.keys(state)) {
    if (![...STATE_KEYS, ...NESTED_KEYS].includes(k))
      fail(
        `'${stateKey}': unexpected key ${show(k)} (bitsandbytes reads ${[...STATE_KEYS, ...NESTED_KEYS].join(', ')})`,
      );
  }
  for (const k of STATE_KEYS) if (!(k in state)) fail(`'${stateKey}': key '${k}' is missing`);
  const { quant_type, blocksize, dtype, shape } = state;
  if (quant_type !== type)
    fail(`'${stateKey}': quant_type must be '${type}' (the key's suffix), got ${show(quant_type)}`);
  if (!isBlock(blocksize))
    fail(`'${stateKey}': blocksize must be a power of two from 32 to 4096, got ${show(blocksize)}`);
  if (typeof dtype !== 'string' || !DTYPES.includes(dtype))
    fail(`'${stateKey}': dtype must be one of ${DTYPES.join(', ')}, got ${show(dtype)}`);
  const n = numel(`'${stateKey}'`, shape);
  const blocks = Math.ceil(n / (blocksize as number));
  const bytes = Math.ceil(n / 2);
  let packed: Uint8Array;
  if (!storage) packed = (await get(prefix, 'u8', [bytes, 1])) as Uint8Array;
  else {
    // quant_storage: bitsandbytes views its [bytes, 1] uint8 result as the storage dtype.
    const size = STORAGE_BYTES[storage.dtype];
    if (bytes % size)
      fail(
        `'${prefix}': ${n} codes take ${bytes} bytes, which ${storage.dtype} elements of ${size} bytes cannot hold exactly`,
      );
    const want = [bytes / size, 1];
    if (storage.shape.length !== 2 || storage.shape[0] !== want[0] || storage.shape[1] !== 1)
      fail(
        `'${prefix}': shape must be [${want.join(', ')}] (${bytes} bytes as ${storage.dtype}), got [${storage.shape.join(', ')}]`,
      );
    packed = (await entries[prefix].data()) as Uint8Array;
  }
  const map = await get(`${prefix}.quant_map`, 'f32', [16]);
  const book = codeBook(type);
  for (let i = 0; i < 16; i++) {
    if (map[i] !== book[i])
      fail(
        `'${prefix}.quant_map': must be bitsandbytes' ${type} code book; element ${i} is ${map[i]}, expected ${book[i]}`,
      );
  }
  const q: Quantized4 = { type, blockSize: blocksize as number, shape: [...(shape as number[])], packed };
  // bitsandbytes' from_dict: nested exactly when `nested_absmax` is present.
  const nested = `${prefix}.nested_absmax` in entries;
  if (!nested) {
    const stray = [
      ...NESTED_KEYS.filter((k) => k in state),
      ...(`${prefix}.nested_quant_map` in entries ? ['nested_quant_map'] : []),
    ];
    if (stray.length)
      fail(
        `'${prefix}.nested_absmax' is missing, yet ${stray.join(', ')} ${stray.length > 1 ? 'are' : 'is'} given`,
      );
    q.absmax = (await get(`${prefix}.absmax`, 'f32', [blocks])) as Float32Array;
    const bad = q.absmax.findIndex((a) => !Number.isFinite(a));
    if (bad >= 0) fail(`'${prefix}.absmax': element ${bad} is ${q.absmax[bad]}, expected a finite value`);
    return { q, dtype: dtype as BnbDType };
  }
  for (const k of NESTED_KEYS)
    if (!(k in state)) fail(`'${stateKey}': key '${k}' is missing (the weight is nested)`);
  const { nested_blocksize: nbs, nested_dtype, nested_offset } = state;
  if (!isBlock(nbs))
    fail(`'${stateKey}': nested_blocksize must be a power of two from 32 to 4096, got ${show(nbs)}`);
  if (nested_dtype !== 'float32')
    fail(`'${stateKey}': nested_dtype must be 'float32', got ${show(nested_dtype)}`);
  if (typeof nested_offset !== 'number')
    fail(`'${stateKey}': nested_offset must be a number, got ${show(nested_offset)}`);
  const codes = (await get(`${prefix}.absmax`, 'u8', [blocks])) as Uint8Array;
  const absmax = (await get(`${prefix}.nested_absmax`, 'f32', [
    Math.ceil(blocks / (nbs as number)),
  ])) as Float32Array;
  const bad = absmax.findIndex((a) => !Number.isFinite(a));
  if (bad >= 0) fail(`'${prefix}.nested_absmax': element ${bad} is ${absmax[bad]}, expected a finite value`);
  // The file's own map is used as it is (another torch build may round a few entries differently).
  const dyn = (await get(`${prefix}.nested_quant_map`, 'f32', [256])) as Float32Array;
  const badMap = dyn.findIndex((v) => !Number.isFinite(v));
  if (badMap >= 0)
    fail(`'${prefix}.nested_quant_map': element ${badMap} is ${dyn[badMap]}, expected a finite value`);
  const ours = dyn.every((v, i) => Object.is(v, DYNAMIC_CODE[i]));
  q.nested = {
    offset: Math.fround(nested_offset as number),
    inner: { blockSize: nbs as number, codes, absmax, code: 'dynamic', ...(ours ? {} : { map: dyn }) },
  };
  return { q, dtype: dtype as BnbDType };
}

/**
 * The inverse of {@link bnbTensors}: the weight `prefix` from its bitsandbytes entries (other keys in
 * `entries` are ignored). Every entry is checked — presence, dtype, shape against the JSON state's
 * shape and blocksize, the 4-bit code book — and the JSON state's keys and values; each problem throws a
 * QuantError naming the key. The packed bytes are kept as they are (an odd length's pad nibble
 * included); a `nested_quant_map` other than {@link DYNAMIC_CODE} is kept as `nested.inner.map` and
 * used to dequantize. The packed codes must be a u8 tensor here; {@link readBnbCheckpoint} also reads
 * them stored as F16, BF16 or F32 (bitsandbytes' `quant_storage`).
 */
export async function fromBnbTensors(prefix: string, entries: Record<string, T.Tensor>): Promise<Quantized4> {
  if (typeof prefix !== 'string' || !prefix)
    fail(`fromBnbTensors: prefix must be a tensor name, got ${show(prefix)}`);
  if (
    typeof entries !== 'object' ||
    entries === null ||
    !Object.values(entries).every((t) => t instanceof T.Tensor)
  )
    fail(`fromBnbTensors: entries must map names to tensors, got ${show(entries)}`);
  return (await decode(prefix, entries)).q;
}

/** Options of {@link writeBnbCheckpoint}. */
export interface BnbWriteOptions {
  /** Original dtype recorded per quantized weight: one for all, or by prefix (default `float32`). */
  dtype?: BnbDType | Record<string, BnbDType>;
  /** Safetensors storage types of the unquantized tensors, by name (default from their dtype). */
  storage?: WriteDTypes;
  /** File metadata; default `{ format: 'pt' }`, which transformers' loader checks for. */
  metadata?: Record<string, string>;
}

/** The prefix `name` lies under: one that is `name` itself (if `self`) or `name` up to a dot. */
function under(name: string, prefixes: Set<string>, self = true): string | undefined {
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
    if (prefixes.has(name.slice(0, i))) return name.slice(0, i);
  }
  return self && prefixes.has(name) ? name : undefined;
}

/**
 * A whole safetensors file as transformers saves a bitsandbytes 4-bit model: the entries of
 * {@link bnbTensors} for each quantized weight (keyed by its name) and the `other` tensors as they are.
 * Names that would read back as part of a quantized weight throw.
 */
export async function writeBnbCheckpoint(
  quantized: Record<string, Quantized4>,
  other: Record<string, T.Tensor>,
  options: BnbWriteOptions = {},
): Promise<Uint8Array> {
  for (const [name, v] of [
    ['quantized', quantized],
    ['other', other],
  ] as const)
    if (typeof v !== 'object' || v === null)
      fail(`writeBnbCheckpoint: ${name} must be an object of tensors by name, got ${show(v)}`);
  const prefixes = new Set(Object.keys(quantized));
  const all: Record<string, T.Tensor> = {};
  for (const [prefix, q] of Object.entries(quantized)) {
    const outer = under(prefix, prefixes, false);
    if (outer)
      fail(`writeBnbCheckpoint: quantized '${prefix}' lies under quantized '${outer}'; names must not nest`);
    const dtype = typeof options.dtype === 'object' ? options.dtype[prefix] : options.dtype;
    Object.assign(all, bnbTensors(prefix, q, { dtype }));
  }
  for (const [name, t] of Object.entries(other)) {
    const owner = under(name, prefixes);
    if (owner)
      fail(`writeBnbCheckpoint: unquantized '${name}' would read back as part of quantized '${owner}'`);
    if (/\.quant_state\.bitsandbytes__[^.]*$/.test(name))
      fail(`writeBnbCheckpoint: unquantized '${name}' is named like a bitsandbytes quant_state entry`);
    all[name] = t;
  }
  const storage = Object.fromEntries(Object.entries(options.storage ?? {}).filter(([k]) => k in other));
  return writeSafetensors(all, options.metadata ?? { format: 'pt' }, storage);
}

/** What {@link readBnbCheckpoint} returns; it is also options that make {@link writeBnbCheckpoint} write it back alike. */
export interface BnbCheckpoint {
  quantized: Record<string, Quantized4>;
  /** The unquantized tensors, as read (F16 and BF16 as f32). */
  other: Record<string, T.Tensor>;
  /** The dtype each quantized weight records. */
  dtype: Record<string, BnbDType>;
  /** How each unquantized tensor was stored (BOOL left out: it reads as u8). */
  storage: WriteDTypes;
  metadata: Record<string, string>;
}

/**
 * Reads a bitsandbytes 4-bit safetensors checkpoint: each `<p>` with a `<p>.quant_state.bitsandbytes__*`
 * entry becomes a Quantized4 (see {@link fromBnbTensors}; stored dtypes are checked too, e.g. absmax
 * must be F32 or U8 as bitsandbytes writes it). The packed codes may be stored as U8 or, with
 * bitsandbytes' `quant_storage` (FSDP-QLoRA), as F16, BF16 or F32 elements holding the same bytes;
 * they are read as those bytes ({@link writeBnbCheckpoint} writes U8). Every other tensor is returned as read. All tensors
 * are CPU tensors. A malformed file throws SafetensorsError, a malformed quantized weight QuantError.
 */
export async function readBnbCheckpoint(bytes: Uint8Array): Promise<BnbCheckpoint> {
  if (!(bytes instanceof Uint8Array))
    fail(`readBnbCheckpoint: bytes must be a Uint8Array, got ${show(bytes)}`);
  const header = parseSafetensorsHeader(bytes);
  const tensors = readSafetensors(bytes, { backend: T.cpuBackend });
  const names = Object.keys(tensors);
  const prefixes = new Set<string>();
  for (const k of names) {
    const m = /^(.+)\.quant_state\.bitsandbytes__[^.]*$/.exec(k);
    if (m) prefixes.add(m[1]);
  }
  const quantized: Record<string, Quantized4> = {};
  const dtypes: Record<string, BnbDType> = {};
  try {
    await decodeAll();
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    throw e;
  }
  async function decodeAll(): Promise<void> {
    for (const prefix of [...prefixes].sort()) {
      const { own, stateKey } = ownKeys(prefix, names);
      const entries: Record<string, T.Tensor> = {};
      let packedStorage: PackedStorage | undefined;
      for (const k of own) {
        const stored = header.entries[k].dtype;
        const allowed = k === stateKey ? ['U8'] : SUFFIXES[k.slice(prefix.length)];
        if (!allowed.includes(stored))
          fail(`'${k}': stored as ${stored}, bitsandbytes writes ${orList(allowed)}`);
        entries[k] = tensors[k];
        if (k === prefix && stored !== 'U8') {
          // quant_storage: the packed bytes as they lie in the file (a float view of them would not do).
          const e = header.entries[k];
          const raw = bytes.slice(header.dataStart + e.dataOffsets[0], header.dataStart + e.dataOffsets[1]);
          entries[k] = T.tensor(raw, { shape: [raw.length, 1], dtype: 'u8', backend: T.cpuBackend });
          packedStorage = { dtype: stored, shape: e.shape };
        }
      }
      const { q, dtype } = await decode(prefix, entries, packedStorage);
      quantized[prefix] = q;
      dtypes[prefix] = dtype;
      // Decoded into host arrays: the tensors read for it are done with.
      for (const t of new Set([...Object.values(entries), ...own.map((k) => tensors[k])])) t.dispose();
    }
  }
  const rest = names.filter((k) => !under(k, prefixes));
  const storage: WriteDTypes = {};
  for (const k of rest) {
    const stored = header.entries[k].dtype;
    if (stored !== 'BOOL') storage[k] = stored;
  }
  const other = Object.fromEntries(rest.map((k) => [k, tensors[k]]));
  return { quantized, other, dtype: dtypes, storage, metadata: header.metadata };
}
