// Sizes past every loop, tile and dispatch limit of the WebGPU kernels. Kernels whose loops grow with
// the data (matmul over K, attention over keys, row reductions, scans) split their work so that each
// invocation stays within the adapter's loop budget: Mesa's llvmpipe, the CI adapter, stops every
// loop of an invocation after 65,535 iterations in all and returned silently wrong sums before.
// The first block runs at the adapter's own budget with the sizes that used to fail; the second
// caps the budget (`createWebGPUBackend({ loopBudget })`) so that every split path runs, at small
// sizes, on any adapter, and compares with the CPU reference.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { expectClose, gpuBackend, randomArray, rng } from './helpers.js';

const gpu = await gpuBackend();

/** Σ a_k b_k in float64, the reference for long f32 dot products. */
function dot64(a: ArrayLike<number>, b: ArrayLike<number>, aStride = 1, bStride = 1, n = a.length): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += a[k * aStride] * b[k * bStride];
  return s;
}

/** `n` ones with `value` at `at`, made on the device (no upload): i32 positions compared with `at`. */
const spike = (n: number, at: number, value: number, backend: T.Backend) =>
  T.where(T.eq(T.arange(n, undefined, 1, { dtype: 'i32', backend }), at), value, T.ones([n], { backend }));

describe.skipIf(!gpu)("WebGPU at the adapter's own loop budget", () => {
  const g = gpu as T.Backend;

  it('matmul sums every product along K, for K far past the loop budget', async () => {
    // K = 37,442 was the first length whose last product was dropped on llvmpipe.
    for (const K of [37_442, 70_001]) {
      const ones = T.matmul(T.ones([1, K], { backend: g }), T.ones([K, 1], { backend: g }));
      expect(await ones.item()).toBe(K);
    }
    const r = rng(1);
    const K = 70_000;
    const a = randomArray(r, 2 * K);
    const b = randomArray(r, 3 * K);
    // A [2, K] @ (B [3, K])ᵀ: the right operand is a transposed (strided) view.
    const got = await T.matmul(
      T.tensor(a, { shape: [2, K], backend: g }),
      T.transpose(T.tensor(b, { shape: [3, K], backend: g })),
    ).data();
    const want = [0, 1].flatMap((i) => [0, 1, 2].map((j) => dot64(a.slice(i * K), b.slice(j * K), 1, 1, K)));
    // An f32 sum of 70,000 products of magnitude <= 1 keeps about 1e-3 absolute accuracy.
    expectClose(got, want, 0, 2e-3, 'long-K matmul');
  });

  it('attention weighs every key, for several head sizes', async () => {
    // q = k = 0 weighs all keys equally; v = Sk at the last key and 0 elsewhere, so the output is 1.
    // The key counts are past those at which llvmpipe used to drop keys (492, 30,817, 47,652).
    for (const [D, Sk] of [
      [64, 1_000],
      [32, 31_000],
      [8, 48_000],
    ]) {
      const v = new Float32Array(Sk * D);
      v.fill(Sk, (Sk - 1) * D);
      const out = T.scaledDotProductAttention(
        T.zeros([1, 1, 1, D], { backend: g }),
        T.zeros([1, 1, Sk, D], { backend: g }),
        T.tensor(v, { shape: [1, 1, Sk, D], backend: g }),
      );
      expectClose(await out.data(), new Array(D).fill(1), 1e-4, 0, `D ${D}, ${Sk} keys`);
    }
    const r = rng(2);
    const shape = [1, 2, 512, 64];
    const [q, k, v] = [0, 1, 2].map(() => randomArray(r, 2 * 512 * 64));
    const run = (backend: T.Backend) =>
      T.scaledDotProductAttention(
        ...([q, k, v].map((d) => T.tensor(d, { shape, backend })) as [T.Tensor, T.Tensor, T.Tensor]),
      ).data();
    expectClose(await run(g), await run(T.cpuBackend), 1e-4, 1e-5, 'random [1, 2, 512, 64]');
  });

  it('reductions and scans cover rows longer than one invocation may loop over', async () => {
    // 17M elements: a 256-thread workgroup would step 66,407 times over one row.
    const n = 17_000_000;
    expect(await T.sum(T.ones([n], { backend: g })).item()).toBe(n);
    const peak = spike(n, n - 3, 5, g);
    expect(await T.max(peak).item()).toBe(5);
    expect(await T.argmax(peak).item()).toBe(n - 3);
    expect(await T.argmin(spike(n, n - 2, -5, g)).item()).toBe(n - 2);
    // A NaN near the end is the maximum, as in PyTorch.
    expect(await T.argmax(spike(n, n - 7, Number.NaN, g)).item()).toBe(n - 7);
    // A scan costs 9 loop steps per 256 elements: 2M elements are past the budget.
    const m = 2_000_000;
    const cs = await T.cumsum(T.ones([m], { backend: g }), 0).data();
    expect([cs[0], cs[255], cs[256], cs[m / 2], cs[m - 1]]).toEqual([1, 256, 257, m / 2 + 1, m]);
    // softmax loops twice over its row: 9M elements are past the budget.
    const s = 9_000_000;
    const sm = T.softmax(T.zeros([s], { backend: g }), 0);
    expectClose([await T.max(sm).item(), await T.min(sm).item()], [1 / s, 1 / s], 1e-4);
    // Summing 9M values in f32 (35k per thread) loses ~1e-3 relative: a check of the sum, not of softmax.
    expectClose([await T.sum(sm).item()], [1], 2e-3);
  });
});

describe.skipIf(!gpu)('WebGPU with a capped loop budget (every split path, small sizes)', async () => {
  // 5,000 iterations: attention (D 16) slices keys into 128s.
  const tiles = gpu ? await T.createWebGPUBackend({ loopBudget: 5_000 }) : undefined;
  // 60 iterations: rows are cut into segments of 1,024 (scans) to 11,008 (sums) elements, and matmul
  // sums K in slices of 224 (220 when batched).
  const rows = gpu ? await T.createWebGPUBackend({ loopBudget: 60 }) : undefined;
  afterAll(() => {
    tiles?.ctx.destroy();
    rows?.ctx.destroy();
  });
  const r = rng(3);
  const cpu = T.cpuBackend;
  const both = (data: number[], shape: number[], backend: T.Backend) =>
    [T.tensor(data, { shape, backend }), T.tensor(data, { shape, backend: cpu })] as const;

  it('matmul over K slices, batched, strided and in the backward pass, equals the CPU', async () => {
    const g = rows as T.Backend;
    const [a, ac] = both(randomArray(r, 2 * 3 * 3001), [2, 3, 3001], g);
    const [b, bc] = both(randomArray(r, 2 * 5 * 3001), [2, 5, 3001], g);
    const f = (x: T.Tensor, y: T.Tensor) => T.matmul(x, T.transpose(y));
    expectClose(await f(a, b).data(), await f(ac, bc).data(), 1e-4, 1e-4, 'batched, strided');
    // Gradients reduce over M: dB = Aᵀ·g with M = 2,500 rows.
    const [x, xc] = both(randomArray(r, 2500 * 7), [2500, 7], g);
    const [w, wc] = both(randomArray(r, 7 * 4), [7, 4], g);
    const loss = (p: T.Tensor, q: T.Tensor) => T.sum(T.square(T.matmul(p, q)));
    const [, [gx, gw]] = T.valueAndGrad(loss)(x, w);
    const [, [gxc, gwc]] = T.valueAndGrad(loss)(xc, wc);
    expectClose(await gw.data(), await gwc.data(), 1e-4, 1e-3, 'dW');
    expectClose(await gx.data(), await gxc.data(), 1e-4, 1e-4, 'dX');
  });

  it('attention over key slices equals the CPU, with causal, window, padding and documents', async () => {
    const g = tiles as T.Backend;
    const [B, H, S, D] = [2, 2, 300, 16];
    const n = B * H * S * D;
    const [q, qc] = both(randomArray(r, n), [B, H, S, D], g);
    const [k, kc] = both(randomArray(r, n), [B, H, S, D], g);
    const [v, vc] = both(randomArray(r, n), [B, H, S, D], g);
    const pad = Array.from({ length: B * S }, (_, i) => (i % 37 === 5 ? 1 : 0));
    const docs = Array.from({ length: B * S }, (_, i) => Math.floor((i % S) / 110));
    for (const opts of [
      {},
      { causal: true },
      { causal: true, window: 70 },
      {
        keyPaddingMask: [
          T.tensor(pad, { shape: [B, S], dtype: 'u8', backend: g }),
          T.tensor(pad, { shape: [B, S], dtype: 'u8', backend: cpu }),
        ],
      },
      {
        causal: true,
        segments: [
          T.tensor(docs, { shape: [B, S], dtype: 'i32', backend: g }),
          T.tensor(docs, { shape: [B, S], dtype: 'i32', backend: cpu }),
        ],
      },
    ] as Record<string, unknown>[]) {
      const pick = (i: 0 | 1) =>
        Object.fromEntries(
          Object.entries(opts).map(([key, val]) => [key, Array.isArray(val) ? val[i] : val]),
        );
      const got = await T.scaledDotProductAttention(q, k, v, pick(0)).data();
      const want = await T.scaledDotProductAttention(qc, kc, vc, pick(1)).data();
      expectClose(got, want, 1e-4, 1e-5, JSON.stringify(Object.keys(opts)));
    }
  });

  it('row reductions, arg-reductions, softmax, norms and scans over segments equal the CPU', async () => {
    const g = rows as T.Backend;
    const len = 30_001;
    const data = randomArray(r, 3 * len, -4, 4);
    // Row 1 holds a NaN, row 2 its maximum twice (two segments apart: the first wins) and ±inf.
    data[len + 20_000] = Number.NaN;
    data[2 * len + 100] = 9;
    data[2 * len + 25_000] = 9;
    data[2 * len + 5] = Number.NEGATIVE_INFINITY;
    const [x, xc] = both(data, [3, len], g);
    const pairs: [string, (t: T.Tensor) => T.Tensor, number, number][] = [
      ['sum', (t) => T.sum(t, 1), 1e-4, 1e-3],
      ['max', (t) => T.max(t, 1), 0, 0],
      ['min', (t) => T.min(t, 1), 0, 0],
      ['argmax', (t) => T.argmax(t, 1), 0, 0],
      ['argmin', (t) => T.argmin(t, 1), 0, 0],
      ['softmax', (t) => T.softmax(t, 1), 1e-4, 1e-9],
      ['logSoftmax', (t) => T.logSoftmax(t, 1), 1e-4, 1e-4],
      ['layerNorm', (t) => T.layerNorm(t, [t.shape[1]]), 1e-4, 1e-4],
      ['rmsNorm', (t) => T.rmsNorm(t, [t.shape[1]]), 1e-4, 1e-4],
      // A running sum of 30,000 terms of magnitude <= 4 in f32 drifts by ~1e-3 in absolute terms.
      ['cumsum', (t) => T.cumsum(t, 1), 1e-4, 5e-3],
      // The long axis first: rows are strided columns.
      ['sum over axis 0', (t) => T.sum(T.transpose(t), 0), 1e-4, 1e-3],
    ];
    for (const [name, f, rtol, atol] of pairs) {
      expectClose(await f(x).data(), await f(xc).data(), rtol, atol, name);
    }
    // Many rows: each gets a narrower workgroup, whose threads loop longer over a segment.
    const manyRows = randomArray(r, 70 * 3_001, -4, 4);
    manyRows[5 * 3_001 + 2_000] = Number.NaN;
    const [m, mc] = both(manyRows, [70, 3_001], g);
    for (const [name, f, rtol, atol] of pairs) {
      expectClose(await f(m).data(), await f(mc).data(), rtol, atol, `${name}, 70 rows`);
    }
    const ints = randomArray(r, 2 * 40_000, -1000, 1000, 'i32');
    const [xi, xic] = [
      T.tensor(ints, { shape: [2, 40_000], dtype: 'i32', backend: g }),
      T.tensor(ints, { shape: [2, 40_000], dtype: 'i32', backend: cpu }),
    ];
    for (const f of [
      (t: T.Tensor) => T.cumsum(t, 1),
      (t: T.Tensor) => T.sum(t, 1),
      (t: T.Tensor) => T.argmax(t, 1),
    ]) {
      expect([...(await f(xi).data())]).toEqual([...(await f(xic).data())]);
    }
  });
});
