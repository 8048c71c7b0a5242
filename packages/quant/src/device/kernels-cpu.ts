import type { Encoder } from '../codebooks.js';
import { ABSMAX_FLOOR, encodeBlocks, pack4 } from '../encode.js';

/** The bytes behind a u32 view (little-endian words are the packed byte array). */
export const wordBytes = (words: Uint32Array | Uint8Array, offsetWords = 0): Uint8Array =>
  new Uint8Array(words.buffer, words.byteOffset + offsetWords * 4, words.byteLength - offsetWords * 4);

/** The 4-bit code of element `e` (element 2j in the high nibble of byte j, as bitsandbytes packs). */
export const nibbleAt = (bytes: Uint8Array, e: number): number =>
  e & 1 ? bytes[e >> 1] & 15 : bytes[e >> 1] >> 4;

/**
 * Per-block absmax as bitsandbytes stores it (a shorter last block's at least 1e-38); a block holding
 * NaN or ±Inf gets −1 (reported by the caller).
 */
export function absmaxCpu(x: ArrayLike<number>, offset: number, n: number, blockSize: number): Float32Array {
  const out = new Float32Array(Math.ceil(n / blockSize));
  for (let i = 0; i < n; i++) {
    const b = (i / blockSize) | 0;
    const v = x[offset + i];
    if (!Number.isFinite(v)) out[b] = -1;
    else if (out[b] >= 0 && Math.abs(v) > out[b]) out[b] = Math.abs(v);
  }
  const last = out.length - 1;
  if (n % blockSize && out[last] >= 0) out[last] = Math.max(out[last], ABSMAX_FLOOR);
  return out;
}

/** The 4-bit codes of n elements of x (bitsandbytes' reference encoding, pad nibble included) as little-endian words. */
export function encodeCpu(
  x: ArrayLike<number>,
  xOffset: number,
  n: number,
  absmax: ArrayLike<number>,
  absOffset: number,
  blockSize: number,
  enc: Encoder,
): Uint32Array {
  // CPU tensors hold Float32Arrays: views, no copies.
  const slice = (a: ArrayLike<number>, at: number, len: number) =>
    a instanceof Float32Array
      ? a.subarray(at, at + len)
      : Float32Array.from({ length: len }, (_, i) => a[at + i]);
  const codes = encodeBlocks(
    slice(x, xOffset, n),
    slice(absmax, absOffset, Math.ceil(n / blockSize)),
    blockSize,
    enc,
    n % 2 === 1,
  );
  const words = new Uint32Array(Math.ceil(n / 8));
  wordBytes(words).set(pack4(codes));
  return words;
}

/** Code value × block absmax (+ offset) from packed 4- or 8-bit codes. */
export function decodeCpu(
  bytes: Uint8Array,
  n: number,
  absmax: ArrayLike<number>,
  absOffset: number,
  blockSize: number,
  book: ArrayLike<number>,
  bits: 4 | 8,
  offset: number,
): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = bits === 8 ? bytes[i] : nibbleAt(bytes, i);
    out[i] = Math.fround(book[c] * absmax[absOffset + ((i / blockSize) | 0)]) + offset;
  }
  return out;
}

/** Where a weight [N, K] lives: its packed codes, f32 absmax per block and code book. */
export interface Packed4Ref {
  bytes: Uint8Array;
  absmax: ArrayLike<number>;
  absOffset: number;
  blockSize: number;
  book: ArrayLike<number>;
  n: number;
  k: number;
}

/** Decodes weight row `o` into `row` (length K), a block run and a byte (two codes) at a time. */
export function decodeRow(w: Packed4Ref, o: number, row: Float32Array): void {
  const { bytes, book, absmax, blockSize, k } = w;
  const start = o * k;
  let j = 0;
  while (j < k) {
    const e = start + j;
    const block = (e / blockSize) | 0;
    const scale = absmax[w.absOffset + block];
    const end = Math.min(k, (block + 1) * blockSize - start);
    // An odd first element sits in a low nibble; then whole bytes; a last even element alone.
    if (e & 1 && j < end) row[j++] = book[bytes[e >> 1] & 15] * scale;
    for (let b = (start + j) >> 1; j + 1 < end; j += 2, b++) {
      row[j] = book[bytes[b] >> 4] * scale;
      row[j + 1] = book[bytes[b] & 15] * scale;
    }
    if (j < end) {
      row[j] = book[nibbleAt(bytes, start + j)] * scale;
      j++;
    }
  }
}

/**
 * y [M, N] = x [M, K] · Wᵀ (`trans` false), or dx [M, K] = g [M, N] · W (`trans` true), decoding one
 * weight row at a time: the CPU reference of the fused kernels, never holding W in f32.
 */
export function matmul4Cpu(
  x: ArrayLike<number>,
  xOffset: number,
  m: number,
  w: Packed4Ref,
  trans: boolean,
): Float32Array {
  const { n, k } = w;
  const row = new Float32Array(k);
  const out = new Float32Array(m * (trans ? k : n));
  for (let o = 0; o < n; o++) {
    decodeRow(w, o, row);
    for (let r = 0; r < m; r++) {
      if (trans) {
        const g = x[xOffset + r * n + o];
        if (g === 0) continue;
        const base = r * k;
        for (let j = 0; j < k; j++) out[base + j] += g * row[j];
      } else {
        let acc = 0;
        const base = xOffset + r * k;
        for (let j = 0; j < k; j++) acc += x[base + j] * row[j];
        out[r * n + o] = acc;
      }
    }
  }
  return out;
}
