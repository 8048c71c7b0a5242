import { codeBook, DYNAMIC_CODE, encoder, encodeScaled, type FourBitType } from './codebooks.js';

/** A 4-bit blockwise-quantized tensor in bitsandbytes' layout. */
export interface Quantized4 {
  type: FourBitType;
  blockSize: number;
  shape: number[];
  /** Two codes per byte: element 2j in the high nibble, 2j + 1 in the low one (bitsandbytes' order). */
  packed: Uint8Array;
  /** One absmax per block (fp32), or absent when double-quantized. */
  absmax?: Float32Array;
  /** Double-quantized absmax (see {@link doubleQuantize}). */
  nested?: DoubleQuantized;
}

/** Options of the blockwise quantizers. */
export interface BlockOptions {
  /** A power of two from 32 to 4096; default 64 for 4-bit, 256 for 8-bit. */
  blockSize?: number;
  shape?: number[];
}

/** A bad argument to a quantizer: the message names it, the expected and the actual value. */
export class QuantError extends Error {
  override name = 'QuantError';
}

export function checkBlock(what: string, blockSize: number): void {
  if (
    !Number.isInteger(blockSize) ||
    blockSize < 32 ||
    blockSize > 4096 ||
    (blockSize & (blockSize - 1)) !== 0
  ) {
    throw new QuantError(`${what}: blockSize must be a power of two from 32 to 4096, got ${blockSize}`);
  }
}

function checkFinite(what: string, x: ArrayLike<number>): void {
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]))
      throw new QuantError(`${what}: element ${i} is ${x[i]}; only finite weights can be quantized`);
  }
}

/** Per-block absolute maxima. The last block may be partial: it covers only the remaining elements. */
export function blockAbsmax(x: ArrayLike<number>, blockSize: number): Float32Array {
  const out = new Float32Array(Math.ceil(x.length / blockSize));
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]);
    const b = (i / blockSize) | 0;
    if (a > out[b]) out[b] = a;
  }
  return out;
}

/**
 * Quantizes to NF4, FP4 or symmetric Int4: each element becomes the code nearest to x / absmax of
 * its block. A length that is not a multiple of the block size leaves a shorter last block; an odd
 * length leaves the last byte's low nibble 0.
 */
export function quantize4bit(
  x: ArrayLike<number>,
  type: FourBitType = 'nf4',
  options: BlockOptions = {},
): Quantized4 {
  const blockSize = options.blockSize ?? 64;
  checkBlock('quantize4bit', blockSize);
  checkFinite('quantize4bit', x);
  const absmax = blockAbsmax(x, blockSize);
  const packed = new Uint8Array(Math.ceil(x.length / 2));
  const enc = encoder(type);
  for (let i = 0; i < x.length; i++) {
    const c = encodeScaled(enc, x[i], absmax[(i / blockSize) | 0]);
    packed[i >> 1] |= i & 1 ? c : c << 4;
  }
  return { type, blockSize, shape: options.shape ?? [x.length], packed, absmax };
}

/** The 4-bit codes of a packed buffer, in element order. */
export function unpack4(packed: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = i & 1 ? packed[i >> 1] & 15 : packed[i >> 1] >> 4;
  return out;
}

/** Back to f32: code value × absmax of the block (double-quantized absmax is dequantized first). */
export function dequantize4bit(q: Quantized4): Float32Array {
  const n = q.shape.reduce((a, b) => a * b, 1);
  const absmax = q.absmax ?? (q.nested ? dequantizeAbsmax(q.nested) : undefined);
  if (!absmax) throw new QuantError('dequantize4bit: the tensor has neither absmax nor nested absmax');
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
}

const LINEAR8 = Float32Array.from({ length: 256 }, (_, c) => Math.fround(Math.max(-127, c - 128) / 127));

/** Blockwise 8-bit quantization with the symmetric linear code (absmax) or bitsandbytes' dynamic code. */
export function quantizeBlockwise8(
  x: ArrayLike<number>,
  options: BlockOptions & { code?: 'linear' | 'dynamic' } = {},
): Quantized8 {
  const blockSize = options.blockSize ?? 256;
  const code = options.code ?? 'linear';
  checkBlock('quantizeBlockwise8', blockSize);
  checkFinite('quantizeBlockwise8', x);
  const absmax = blockAbsmax(x, blockSize);
  const codes = new Uint8Array(x.length);
  const dyn = encoder('dynamic8');
  for (let i = 0; i < x.length; i++) {
    const scale = absmax[(i / blockSize) | 0];
    codes[i] =
      code === 'dynamic'
        ? encodeScaled(dyn, x[i], scale)
        : scale === 0
          ? 128
          : Math.round(Math.fround(x[i] / scale) * 127) + 128;
  }
  return { blockSize, codes, absmax, code };
}

/** Back to f32 from {@link quantizeBlockwise8}. */
export function dequantizeBlockwise8(q: Quantized8): Float32Array {
  const book = q.code === 'dynamic' ? DYNAMIC_CODE : LINEAR8;
  return Float32Array.from(q.codes, (c, i) => Math.fround(book[c] * q.absmax[(i / q.blockSize) | 0]));
}

/** Double-quantized absmax values: mean-subtracted, then 8-bit dynamic blockwise (block 256). */
export interface DoubleQuantized {
  /** Mean of the absmax values (one fp32 per tensor). */
  offset: number;
  inner: Quantized8;
}

/** Double quantization of per-block absmax values, as bitsandbytes does it. */
export function doubleQuantize(absmax: Float32Array): DoubleQuantized {
  let sum = 0;
  for (const a of absmax) sum += a;
  const offset = Math.fround(sum / Math.max(absmax.length, 1));
  const centered = Float32Array.from(absmax, (a) => a - offset);
  return { offset, inner: quantizeBlockwise8(centered, { blockSize: 256, code: 'dynamic' }) };
}

/** The absmax values back from {@link doubleQuantize}. */
export function dequantizeAbsmax(d: DoubleQuantized): Float32Array {
  return Float32Array.from(dequantizeBlockwise8(d.inner), (v) => Math.fround(v + d.offset));
}

/** Replaces a 4-bit tensor's absmax by its double quantization. */
export function withDoubleQuant(q: Quantized4): Quantized4 {
  if (!q.absmax) throw new QuantError('withDoubleQuant: the tensor is already double-quantized');
  return { ...q, absmax: undefined, nested: doubleQuantize(q.absmax) };
}

/**
 * Storage cost per parameter in bits: 4 for the codes plus the absmax per block — 32 bits, or with
 * double quantization 8 bits per block and 32 bits per 256 blocks (NF4, block 64, DQ: 4.127).
 */
export function bitsPerParameter(blockSize: number, doubleQuant: boolean, bits = 4): number {
  checkBlock('bitsPerParameter', blockSize);
  return bits + (doubleQuant ? 8 / blockSize + 32 / (blockSize * 256) : 32 / blockSize);
}
