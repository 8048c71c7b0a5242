import {
  checkBlock,
  checkCount,
  checkOneOf,
  checkShape,
  checkValues,
  fail,
  finiteF32,
  QuantError,
  show,
} from './checks.js';
import { codeBook, DYNAMIC_CODE, encoder, FOUR_BIT_TYPES, type FourBitType } from './codebooks.js';
import { blockAbsmax, encodeBlocks, pack4 } from './encode.js';
import { torchMeanF32 } from './torch-mean.js';
import { checkNested, checkQuantized4, checkQuantized8 } from './validate.js';

export { blockAbsmax, QuantError };

/** A 4-bit blockwise-quantized tensor in bitsandbytes' layout. */
export interface Quantized4 {
  type: FourBitType;
  blockSize: number;
  shape: number[];
  /**
   * Two codes per byte: element 2j in the high nibble, 2j + 1 in the low one (bitsandbytes' order);
   * an odd length's last low nibble holds the code of 0, as bitsandbytes pads.
   */
  packed: Uint8Array;
  /** One absmax per block (fp32), or absent when double-quantized. */
  absmax?: Float32Array;
  /** Double-quantized absmax (see {@link doubleQuantize}). */
  nested?: DoubleQuantized;
}

/** Options of {@link quantize4bit}. */
export interface BlockOptions {
  /** A power of two from 32 to 4096; default 64 for 4-bit, 256 for 8-bit. */
  blockSize?: number;
  /** The tensor's shape (default: flat); it must hold exactly the values given. */
  shape?: number[];
}

/** Options of {@link quantizeBlockwise8}. */
export interface Blockwise8Options {
  /** A power of two from 32 to 4096; default 256. */
  blockSize?: number;
  /** `linear` (default) or bitsandbytes' `dynamic` map. */
  code?: 'linear' | 'dynamic';
}

/**
 * Quantizes to NF4, FP4 or symmetric Int4 in bitsandbytes' layout, byte for byte as bitsandbytes'
 * reference quantizer: per block, absmax = max |x| (a shorter last block's at least 1e-38), the scaled
 * value s = f32(x · f32(1 / max(absmax, 1e-38))) (a shorter last block: f32(x / absmax)), and the code
 * whose bucket holds s: the number of code midpoints strictly below s (ties go to the lower code).
 * x is taken as float32. An odd length pads the last low nibble with the code of 0.
 */
export function quantize4bit(
  x: ArrayLike<number>,
  type: FourBitType = 'nf4',
  options: BlockOptions = {},
): Quantized4 {
  const what = 'quantize4bit';
  checkOneOf(what, 'type', type, FOUR_BIT_TYPES);
  const blockSize = checkBlock(what, options.blockSize ?? 64);
  const xs = finiteF32(what, checkValues(what, 'x', x));
  const shape = options.shape === undefined ? [xs.length] : checkShape(what, options.shape, xs.length, 'x');
  const absmax = blockAbsmax(xs, blockSize);
  const packed = pack4(encodeBlocks(xs, absmax, blockSize, encoder(type), xs.length % 2 === 1));
  return { type, blockSize, shape, packed, absmax };
}

/** The 4-bit codes of a packed buffer, in element order. */
export function unpack4(packed: Uint8Array, n: number): Uint8Array {
  if (!(packed instanceof Uint8Array)) fail(`unpack4: packed must be a Uint8Array, got ${show(packed)}`);
  checkCount('unpack4', 'n', n);
  if (n > packed.length * 2)
    fail(`unpack4: n must be at most ${packed.length * 2} (2 per byte of packed), got ${n}`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 1 ? packed[i >> 1] & 15 : packed[i >> 1] >> 4;
  return out;
}

/** Back to f32: code value × absmax of the block (double-quantized absmax is dequantized first). */
export function dequantize4bit(q: Quantized4): Float32Array {
  const n = checkQuantized4('dequantize4bit', q);
  const absmax = q.absmax ?? dequantizeAbsmax(q.nested!);
  const book = codeBook(q.type);
  const codes = unpack4(q.packed, n);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.fround(book[codes[i]] * absmax[(i / q.blockSize) | 0]);
  return out;
}

/** 8-bit blockwise quantization: one code per element, one absmax per block. */
export interface Quantized8 {
  blockSize: number;
  codes: Uint8Array;
  absmax: Float32Array;
  /** `linear` (symmetric: code − 128 stands for (code − 128) / 127) or `dynamic` (bitsandbytes' map). */
  code: 'linear' | 'dynamic';
  /**
   * The 256 values of a `dynamic` code when they are not {@link DYNAMIC_CODE}: a bitsandbytes
   * checkpoint's own `nested_quant_map`, used as it is.
   */
  map?: Float32Array;
}

const LINEAR8 = Float32Array.from({ length: 256 }, (_, c) => Math.fround(Math.max(-127, c - 128) / 127));

/**
 * Blockwise 8-bit quantization: the symmetric linear code (round(x / absmax · 127)), or bitsandbytes'
 * dynamic map, encoded as bitsandbytes' reference `quantize_blockwise` does (see {@link quantize4bit}
 * for the scaling and the buckets).
 */
export function quantizeBlockwise8(x: ArrayLike<number>, options: Blockwise8Options = {}): Quantized8 {
  const what = 'quantizeBlockwise8';
  const blockSize = checkBlock(what, options.blockSize ?? 256);
  const code = checkOneOf(what, 'code', options.code ?? 'linear', ['linear', 'dynamic'] as const);
  const xs = finiteF32(what, checkValues(what, 'x', x));
  const absmax = blockAbsmax(xs, blockSize);
  if (code === 'dynamic')
    return { blockSize, codes: encodeBlocks(xs, absmax, blockSize, encoder('dynamic8')), absmax, code };
  const codes = new Uint8Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const scale = absmax[(i / blockSize) | 0];
    codes[i] = scale === 0 ? 128 : Math.round(Math.fround(xs[i] / scale) * 127) + 128;
  }
  return { blockSize, codes, absmax, code };
}

/** Back to f32 from {@link quantizeBlockwise8}. */
export function dequantizeBlockwise8(q: Quantized8): Float32Array {
  checkQuantized8('dequantizeBlockwise8', q);
  const book = q.code === 'dynamic' ? (q.map ?? DYNAMIC_CODE) : LINEAR8;
  return Float32Array.from(q.codes, (c, i) => Math.fround(book[c] * q.absmax[(i / q.blockSize) | 0]));
}

/** Double-quantized absmax values: mean-subtracted, then 8-bit dynamic blockwise (block 256). */
export interface DoubleQuantized {
  /** Mean of the absmax values (one fp32 per tensor). */
  offset: number;
  inner: Quantized8;
}

/**
 * Double quantization of per-block absmax values, as bitsandbytes' `quantize_4bit(compress_statistics=True)`:
 * offset = torch's float32 mean of the absmax (0 for none, where torch gives NaN), then the
 * differences f32(absmax − offset) quantized with the dynamic map in blocks of 256.
 */
export function doubleQuantize(absmax: Float32Array): DoubleQuantized {
  if (!(absmax instanceof Float32Array))
    fail(`doubleQuantize: absmax must be a Float32Array, got ${show(absmax)}`);
  const values = finiteF32('doubleQuantize', absmax);
  const offset = values.length ? torchMeanF32(values) : 0;
  const centered = Float32Array.from(values, (a) => a - offset);
  return { offset, inner: quantizeBlockwise8(centered, { blockSize: 256, code: 'dynamic' }) };
}

/** The absmax values back from {@link doubleQuantize}. */
export function dequantizeAbsmax(d: DoubleQuantized): Float32Array {
  checkNested('dequantizeAbsmax', d, d?.inner?.codes?.length ?? 0, 'd');
  return Float32Array.from(dequantizeBlockwise8(d.inner), (v) => Math.fround(v + d.offset));
}

/** Replaces a 4-bit tensor's absmax by its double quantization. */
export function withDoubleQuant(q: Quantized4): Quantized4 {
  if (q?.nested && !q.absmax)
    fail('withDoubleQuant: q is already double-quantized (it has nested absmax, no absmax)');
  checkQuantized4('withDoubleQuant', q);
  return { ...q, absmax: undefined, nested: doubleQuantize(q.absmax!) };
}

/**
 * Storage cost per parameter in bits: `bits` for the codes plus the absmax per block — 32 bits, or
 * with double quantization 8 bits per block and 32 bits per 256 blocks (NF4, block 64, DQ: 4.127).
 */
export function bitsPerParameter(blockSize: number, doubleQuant: boolean, bits = 4): number {
  checkBlock('bitsPerParameter', blockSize);
  if (typeof doubleQuant !== 'boolean')
    fail(`bitsPerParameter: doubleQuant must be true or false, got ${show(doubleQuant)}`);
  if (!Number.isInteger(bits) || bits < 1 || bits > 32)
    fail(`bitsPerParameter: bits must be an integer from 1 to 32, got ${show(bits)}`);
  return bits + (doubleQuant ? 8 / blockSize + 32 / (blockSize * 256) : 32 / blockSize);
}
