// The WebAssembly 4-bit matmul (tensor's code-book routine, csrc/codebook4.c) against the JavaScript
// reference (the same op on the CPU backend), single-threaded and split between threads: every
// code book, double quantization on and off, 1 to 9 rows of x (the fused paths for 4, 2 and 1
// rows, and the sliced path past 8), K on and off the 32-element chunk, blocks that straddle rows
// and chunks, rows that start on an odd element, NaN and ±Inf in x; and the decoding kernel, which
// must give the CPU decoder's values bit for bit.
import * as T from '@tessera/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import { codeBook, DYNAMIC_CODE } from '../src/codebooks.js';
import { decodeOp, matmul4Op } from '../src/device/ops.js';
import {
  FOUR_BIT_TYPES,
  type FourBitType,
  matmul4,
  type Quantized4,
  QuantizedWeight,
  quantize4bit,
  withDoubleQuant,
} from '../src/index.js';
import { rng } from './random.js';

// One thread, and more threads than this machine's cores, so columns split unevenly.
const variants = [await T.createWasmBackend({ threads: 1 }), await T.createWasmBackend({ threads: 3 })];
afterAll(() => {
  for (const v of variants) v.close();
});

const uniform = (r: () => number, n: number) => Float32Array.from({ length: n }, () => 2 * r() - 1);

/**
 * Asserts `got` equals the reference `want` of y = x · Wᵀ: the same non-finite values where the
 * reference has one, finite ones within (K + 4)·2⁻²⁴·Σ|xⱼ·wⱼ| — the worst-case bound of summing K
 * f32 products in any order (the kernel sums a block's products with the bare book values in f32
 * and scales the sum; the reference sums the decoded products in f64). `mag[i]` is that Σ|xⱼ·wⱼ|.
 */
function expectProduct(got: Float32Array, want: Float32Array, mag: Float64Array, k: number, what: string) {
  expect(got.length, what).toBe(want.length);
  let nonFinite = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(want[i]) || !Number.isFinite(mag[i])) {
      nonFinite++;
      expect(
        Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])),
        `${what} [${i}]: ${got[i]} vs ${want[i]}`,
      ).toBe(true);
      continue;
    }
    const tol = (k + 4) * 2 ** -24 * mag[i] + 1e-30;
    expect(Math.abs(got[i] - want[i]), `${what} [${i}]: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol);
  }
  return nonFinite;
}

/** Σⱼ |x[r, j] · W[o, j]| per output, in f64, from the dequantized weight. */
async function magnitudes(x: Float32Array, m: number, w: QuantizedWeight): Promise<Float64Array> {
  const [n, k] = w.shape;
  const dense = w.dequantize();
  const wd = (await dense.data()) as Float32Array;
  dense.dispose();
  const out = new Float64Array(m * n);
  for (let r = 0; r < m; r++)
    for (let o = 0; o < n; o++) {
      let s = 0;
      for (let j = 0; j < k; j++) s += Math.abs(x[r * k + j] * wd[o * k + j]);
      out[r * n + o] = s;
    }
  return out;
}

describe.each(variants.map((v) => [v.description, v] as const))('%s', (_, wasm) => {
  it('4-bit matmul matches the JavaScript reference past every chunk, block and path boundary', async () => {
    const r = rng(7);
    const tally = { cases: 0, outputs: 0, oddRows: 0, straddling: 0 };
    const shapes: [number, number, number][] = [
      // [n, k, blockSize]: K a multiple of the 32-element chunk, blocks aligned to rows
      [9, 64, 64],
      [17, 256, 128],
      // blocks straddle rows and chunks (K not a multiple of the block), a ragged tail
      [7, 100, 64],
      [8, 96, 64],
      // odd K: every other row starts on a low nibble
      [5, 33, 32],
      [6, 127, 32],
      [3, 1, 32],
      [4, 31, 64],
      // enough work to split between threads, K past a block and off the chunk
      [260, 1050, 256],
    ];
    for (const [n, k, blockSize] of shapes) {
      for (const type of FOUR_BIT_TYPES) {
        for (const dq of [false, true]) {
          for (const m of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
            if (n * k > 100_000 && m !== 3 && m !== 9) continue;
            const host = quantize4bit(uniform(r, n * k), type, { blockSize, shape: [n, k] });
            const q = dq ? withDoubleQuant(host) : host;
            const xs = uniform(r, m * k);
            const got = await product(wasm, xs, m, q);
            const want = await product(T.cpuBackend, xs, m, q);
            const w = QuantizedWeight.upload(q, T.cpuBackend);
            const mag = await magnitudes(xs, m, w);
            w.dispose();
            expectProduct(got, want, mag, k, `${type}${dq ? '+dq' : ''} ${m}×${n}×${k}/${blockSize}`);
            tally.cases++;
            tally.outputs += got.length;
            if (k % 2) tally.oddRows++;
            if (k % blockSize) tally.straddling++;
          }
        }
      }
    }
    expect(tally.cases).toBe(9 * 6 * 8 + 6 * 2);
    expect(tally.oddRows).toBeGreaterThan(0);
    expect(tally.straddling).toBeGreaterThan(0);
  });

  it('NaN and ±Inf in x give the reference non-finite outputs', async () => {
    const r = rng(11);
    const [n, k, blockSize] = [12, 96, 32];
    let nonFinite = 0;
    for (const type of FOUR_BIT_TYPES) {
      const q = quantize4bit(uniform(r, n * k), type, { blockSize, shape: [n, k] });
      for (const m of [1, 2, 4, 9]) {
        const xs = uniform(r, m * k);
        // Row 0: a NaN; row 1 (when there): +Inf; row 2: +Inf and −Inf; row 3: −Inf in the ragged part.
        xs[5] = Number.NaN;
        if (m > 1) xs[k + 40] = Number.POSITIVE_INFINITY;
        if (m > 2) [xs[2 * k + 1], xs[2 * k + 70]] = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
        if (m > 3) xs[3 * k + 95] = Number.NEGATIVE_INFINITY;
        const got = await product(wasm, xs, m, q);
        const want = await product(T.cpuBackend, xs, m, q);
        const w = QuantizedWeight.upload(q, T.cpuBackend);
        nonFinite += expectProduct(got, want, await magnitudes(xs, m, w), k, `${type} ${m} rows`);
        w.dispose();
      }
    }
    // Every output of the rows holding a NaN or an infinity is non-finite in the reference: 1, 2, 4
    // and 4 such rows for m = 1, 2, 4, 9, each code book.
    expect(nonFinite).toBe(3 * (1 + 2 + 4 + 4) * n);
  });

  it('blocks shorter than a chunk, and rows longer than the sliced path holds at once', async () => {
    const r = rng(13);
    const book = codeBook('nf4');
    // Block 16 (the op allows any block; the checked APIs start at 32): decoded element by element.
    // 2700 rows of K = 100: two slices of the sliced path (2616 rows each). K = 262200: one weight
    // row is more than the 262144 floats that path decodes at a time.
    for (const [m, n, k, blockSize] of [
      [3, 10, 50, 16],
      [9, 10, 50, 16],
      [9, 2700, 100, 64],
      [9, 2, 262_200, 64],
    ]) {
      const codes = new Uint32Array(Math.ceil((n * k) / 8)).map(() => (r() * 2 ** 32) >>> 0);
      const absmax = uniform(r, Math.ceil((n * k) / blockSize)).map(Math.abs);
      const xs = uniform(r, m * k);
      const run = (backend: T.Backend) =>
        T.tidy(() =>
          matmul4Op(
            [
              T.tensor(xs, { backend, shape: [m, k] }),
              T.tensor(codes, { backend, dtype: 'u32' }),
              T.tensor(absmax, { backend }),
            ],
            { n, k, blockSize, book, trans: false },
          ),
        );
      const got = (await run(wasm).data()) as Float32Array;
      const want = (await run(T.cpuBackend).data()) as Float32Array;
      // Σ|x·w| ≤ Σ|x| · max|w| (|book| ≤ 1): a looser but sufficient magnitude here.
      const maxScale = absmax.reduce((a, b) => Math.max(a, b), 0);
      const mag = new Float64Array(m * n).map((_, i) => {
        const row = Math.floor(i / n);
        return xs.subarray(row * k, (row + 1) * k).reduce((s, v) => s + Math.abs(v), 0) * maxScale;
      });
      expectProduct(got, want, mag, k, `${m}×${n}×${k}/${blockSize}`);
    }
  });

  it('decodes 4- and 8-bit codes bit for bit as the CPU decoder; the weight stays resident across calls', async () => {
    const r = rng(17);
    // 1024×520: enough elements to split the decoding between threads; blocks straddle rows.
    for (const type of FOUR_BIT_TYPES) {
      for (const [n, k, blockSize] of [
        [7, 100, 64],
        [1, 1001, 32],
        [1024, 520, 64],
      ]) {
        const q = randomQuantized(r, type, n, k, blockSize);
        const got = QuantizedWeight.upload(q, wasm).dequantize();
        const want = QuantizedWeight.upload(q, T.cpuBackend).dequantize();
        expectSameBits(
          (await got.data()) as Float32Array,
          (await want.data()) as Float32Array,
          n * k,
          `${type} ${n}×${k}/${blockSize}`,
        );
        got.dispose();
        want.dispose();
      }
    }
    // 8-bit codes (double quantization's absmax) into the dynamic map, 600 000 of them (enough to
    // split between threads), blocks of 256 from an offset into the codes; an offset that is no f32
    // value (0.1) is added in f64 by the CPU decoder, which then runs on the wasm backend too.
    for (const offset of [Math.fround(0.0123), 0.1]) {
      const count = 600_000;
      const words = Uint32Array.from({ length: count / 4 + 3 }, () => (r() * 2 ** 32) >>> 0);
      const scales = Float32Array.from({ length: Math.ceil(count / 256) + 1 }, () => r());
      const decode = (backend: T.Backend) =>
        T.tidy(() =>
          decodeOp(
            [
              T.narrow(T.tensor(words, { backend, dtype: 'u32' }), 0, 3, count / 4),
              T.narrow(T.tensor(scales, { backend }), 0, 1, Math.ceil(count / 256)),
            ],
            {
              shape: [count],
              blockSize: 256,
              book: DYNAMIC_CODE,
              bits: 8,
              offset,
            },
          ),
        );
      const [g, e] = [await decode(wasm).data(), await decode(T.cpuBackend).data()];
      expectSameBits(g as Float32Array, e as Float32Array, count, `8-bit codes, offset ${offset}`);
    }
    // Codes of 600×1024 elements (300 KB) are kept from their second use on; freed, the copy goes.
    const w = QuantizedWeight.upload(randomQuantized(r, 'nf4', 600, 1024, 64), wasm);
    const x = T.tensor(uniform(r, 1024), { backend: wasm, shape: [1, 1024] });
    const before = wasm.resident().bytes;
    const ys: Float32Array[] = [];
    for (let i = 0; i < 3; i++) ys.push((await T.tidy(() => matmul4(x, w)).data()) as Float32Array);
    expect(wasm.resident().bytes - before).toBe(w.codes.size * 4);
    expect(ys[1]).toEqual(ys[0]);
    expect(ys[2]).toEqual(ys[0]);
    w.dispose();
    x.dispose();
    expect(wasm.resident().bytes).toBe(before);
  });
});

/** Asserts two f32 arrays of `n` elements hold the same bits (toEqual on half a million floats is slow). */
function expectSameBits(got: Float32Array, want: Float32Array, n: number, what: string) {
  const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);
  const [g, w] = [bits(got), bits(want)];
  expect(g.length, what).toBe(n);
  expect(g.filter((v, i) => v !== w[i]).length, what).toBe(0);
}

/** A 4-bit weight of random codes and absmax (no quantization: the kernels take any codes). */
function randomQuantized(
  r: () => number,
  type: FourBitType,
  n: number,
  k: number,
  blockSize: number,
): Quantized4 {
  const packed = Uint8Array.from({ length: Math.ceil((n * k) / 2) }, () => Math.floor(r() * 256));
  const absmax = Float32Array.from({ length: Math.ceil((n * k) / blockSize) }, () => r());
  return { type, blockSize, shape: [n, k], packed, absmax };
}

/** y = x · Wᵀ on `backend` through the public matmul4, read back. */
async function product(backend: T.Backend, xs: Float32Array, m: number, q: Quantized4) {
  const w = QuantizedWeight.upload(q, backend);
  const [, k] = q.shape;
  const y = T.tidy(() => matmul4(T.tensor(xs, { backend, shape: [m, k] }), w));
  const out = (await y.data()) as Float32Array;
  y.dispose();
  w.dispose();
  return out;
}
