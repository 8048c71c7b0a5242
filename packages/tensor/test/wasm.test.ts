// The WebAssembly kernels against the JavaScript CPU ones, single-threaded and split between
// threads: matmul on shapes that cross every edge of the C kernel's blocking (6x8 register tiles,
// 96-row A blocks, 256-deep K blocks, 2048-wide B blocks) and through every path (sgemm, sgemv on a
// row or a column, dot products for a few rows, strided and gathered operands); the row kernels;
// attention under every mask.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { call, runCalls, SGEMV } from '../src/wasm/calls.js';
import { createWasmBackend } from '../src/wasm/index.js';
import { instantiate } from '../src/wasm/module.js';
import { randomTensor, rng } from './helpers.js';

const cpu = T.cpuBackend;
const same = (t: T.Tensor): T.Tensor => t;
// One thread, and more threads than this machine's cores, so products split unevenly.
const variants = [await createWasmBackend({ threads: 1 }), await createWasmBackend({ threads: 3 })];
afterAll(() => {
  for (const v of variants) v.close();
});

it('describes how it runs', async () => {
  expect(variants[0].description).toBe('WebAssembly SIMD, single-threaded');
  expect(variants[1].description).toBe('WebAssembly SIMD, 3 threads');
  await expect(() => createWasmBackend({ threads: 0 })).rejects.toThrow(
    /createWasmBackend: threads must be a positive integer, got 0/,
  );
});

it('reports a kernel that traps on a worker thread, and its threads keep working', async () => {
  const rt = await instantiate(2, 0);
  try {
    const { arena } = rt;
    arena.reset();
    // y = x·B for x = [1, 2], B = [[1, 2], [3, 4]] (row-major): [7, 10], one column per thread.
    const x = arena.alloc(8);
    const b = arena.alloc(16);
    const y = arena.alloc(8);
    arena.f32(x, 2).set([1, 2]);
    arena.f32(b, 4).set([1, 2, 3, 4]);
    const column = (j: number) => call(SGEMV, [1, 2, x, 1, b + 4 * j, 2, 1, y + 4 * j], 1);
    // The second call (the worker's) reads far past the memory's end: a trap there.
    const outOfBounds = call(SGEMV, [4, 4, 0x7ffffff0, 1, 0x7ffffff0, 4, 1, 0x7ffffff0], 1);
    expect(() => runCalls(rt, [column(0), outOfBounds])).toThrow(
      /a WebAssembly kernel trapped in a worker thread/,
    );
    runCalls(rt, [column(0), column(1)]);
    expect([...arena.f32(y, 2)]).toEqual([7, 10]);
  } finally {
    rt.pool?.close();
  }
});

it("init({ backend: 'wasm' }) makes the shared instance the default for new tensors", async () => {
  const b = await T.init({ backend: 'wasm' });
  try {
    expect(b.name).toBe('wasm');
    expect(b).toBe(await T.wasmBackend());
    expect(T.getBackend()).toBe(b);
    expect(T.zeros([2]).backend).toBe(b);
  } finally {
    T.setBackend(cpu);
  }
});

describe.each(variants.map((v) => [v.description, v] as const))('%s matmul', (_, wasm) => {
  /**
   * Asserts the wasm product of views `va(a)` and `vb(b)` equals the CPU kernel's: same non-finite
   * values, finite ones close. The views are taken on each backend (`to` copies contiguous).
   */
  async function agree(a: T.Tensor, b: T.Tensor, what: string, va = same, vb = same): Promise<void> {
    const got = await T.matmul(va(await a.to(wasm)), vb(await b.to(wasm))).data();
    const want = await T.matmul(va(a), vb(b)).data();
    expect(got.length, what).toBe(want.length);
    for (let i = 0; i < want.length; i++) {
      const [g, w] = [got[i], want[i]];
      if (!Number.isFinite(w) || !Number.isFinite(g)) {
        expect(Object.is(g, w) || (Number.isNaN(g) && Number.isNaN(w)), `${what} [${i}]: ${g} vs ${w}`).toBe(
          true,
        );
        continue;
      }
      // Both sum K f32 products of values in [-1, 1), in different orders (the C kernel by K blocks
      // and SIMD lanes): the rounding difference is a few ulps of sums up to ~sqrt(K) in size.
      if (Math.abs(g - w) > 2e-5 * (1 + Math.abs(w)))
        throw new Error(`${what} element ${i}: wasm ${g}, cpu ${w}`);
    }
  }

  const r = rng(12);

  it('matches the CPU kernel across tile and block edges', async () => {
    const shapes = [
      [1, 1, 1],
      [5, 3, 7],
      [6, 8, 8],
      [7, 9, 9],
      [13, 255, 17],
      [97, 257, 15],
      [95, 513, 33],
      [2, 3, 2049],
      [192, 31, 2],
      // Big enough to split between threads, by columns of B.
      [40, 300, 200],
      [3, 0, 5],
    ];
    for (const [M, K, N] of shapes) {
      await agree(randomTensor(r, [M, K], cpu), randomTensor(r, [K, N], cpu), `${M}x${K}x${N}`);
    }
  });

  it('runs the vector paths for one row or one column, in every layout', async () => {
    // Uniform [-1, 1) from the library's generator.
    const gen = new T.Generator(15);
    const random = (shape: number[]) => T.sub(T.mul(T.rand(shape, { backend: cpu, generator: gen }), 2), 1);
    for (const [M, K, N] of [
      [1, 37, 29],
      [1, 260, 3],
      [31, 258, 1],
      [1, 1, 9],
      [1, 1030, 70],
    ]) {
      const a = random([M, K]);
      await agree(a, random([K, N]), `row-major ${M}x${K}x${N}`);
      // Transposed (column-major) operands: sgemv's dot-product path.
      await agree(random([K, M]), random([N, K]), `transposed ${M}x${K}x${N}`, T.transpose, T.transpose);
      // Neither stride is 1: a strided slice, run through sgemm's general packing.
      const everyOther = (t: T.Tensor) => T.slice(t, [{ step: 2 }, { step: 2 }]);
      await agree(a, random([2 * K, 2 * N]), `strided ${M}x${K}x${N}`, same, everyOther);
    }
  });

  it('runs a few rows against a transposed B as dot products', async () => {
    for (const [M, K, N] of [
      [2, 3, 1],
      [3, 37, 7],
      [4, 258, 33],
      [5, 9, 2],
      [16, 31, 5],
      // Big enough to split between threads, by columns of B.
      [9, 1024, 301],
      // Past the limit: sgemm packs the transposed B, across a K block with a ragged tail.
      [17, 258, 19],
      [40, 41, 16],
    ]) {
      const a = randomTensor(r, [M, K], cpu);
      await agree(a, randomTensor(r, [N, K], cpu), `dots ${M}x${K}x${N}`, same, T.transpose);
    }
  });

  it('broadcasts batch dims and reads transposed and sliced views', async () => {
    const a = randomTensor(r, [2, 1, 7, 19], cpu);
    const b = randomTensor(r, [3, 19, 10], cpu);
    await agree(a, b, 'broadcast batch');
    const x = randomTensor(r, [4, 19, 7], cpu);
    const y = randomTensor(r, [4, 11, 19], cpu);
    await agree(x, y, 'batched transposed', T.transpose, T.transpose);
    // A thin column slice of a large buffer is gathered rather than copied whole.
    const wide = randomTensor(r, [300, 400], cpu);
    const columns = (t: T.Tensor) => T.slice(t, [null, { start: 5, end: 8 }]);
    await agree(wide, randomTensor(r, [3, 6], cpu), 'thin slice', columns);
  });

  it('propagates NaN and infinities as the CPU kernel does', async () => {
    const a = randomTensor(r, [9, 300], cpu);
    const b = randomTensor(r, [300, 11], cpu);
    const av = await a.data();
    const bv = await b.data();
    av[2 * 300 + 7] = Number.NaN;
    av[5 * 300 + 280] = Number.POSITIVE_INFINITY;
    bv[100 * 11 + 3] = Number.NEGATIVE_INFINITY;
    const an = T.tensor(av, { shape: [9, 300], backend: cpu });
    const bn = T.tensor(bv, { shape: [300, 11], backend: cpu });
    await agree(an, bn, 'non-finite');
    const c = await T.matmul(await an.to(wasm), await bn.to(wasm)).data();
    // Row 2 is all NaN; row 5 is ±inf (or NaN in column 3, where inf meets -inf).
    expect(Array.from(c.slice(2 * 11, 3 * 11)).every(Number.isNaN)).toBe(true);
    expect(c.slice(5 * 11, 6 * 11).filter((v) => !Number.isFinite(v)).length).toBe(11);
  });

  it('keeps buffers and its memory flat across repeated calls', async () => {
    const a = randomTensor(r, [70, 130], wasm);
    const b = randomTensor(r, [130, 90], wasm);
    T.matmul(a, b).dispose();
    const live = wasm.liveBuffers();
    const bytes = wasm.memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) T.matmul(a, b).dispose();
    expect(wasm.liveBuffers()).toBe(live);
    expect(wasm.memory.buffer.byteLength).toBe(bytes);
  });
});

describe.each(variants.map((v) => [v.description, v] as const))('%s row kernels', (_, wasm) => {
  const r = rng(13);

  /** Asserts the wasm result of `f` equals the CPU kernel's within `tol` (relative to 1 + |value|). */
  async function agree(f: (x: T.Tensor) => T.Tensor, x: T.Tensor, tol: number, what: string): Promise<void> {
    const got = await f(await x.to(wasm)).data();
    const want = await f(x).data();
    for (let i = 0; i < want.length; i++) {
      if (Number.isNaN(want[i]) && Number.isNaN(got[i])) continue;
      if (!(Math.abs(got[i] - want[i]) <= tol * (1 + Math.abs(want[i]))))
        throw new Error(`${what} element ${i}: wasm ${got[i]}, cpu ${want[i]}`);
    }
  }

  // The CPU kernels round every op to float32 and accumulate row statistics in float64; these
  // accumulate in float32 lanes with a polynomial exp (~2 ulp): a few float32 ulps of the result.
  const TOL = 2e-6;

  it('match the CPU kernels on row lengths around the SIMD width and along any axis', async () => {
    for (const [rows, len] of [
      [3, 1],
      [5, 3],
      [4, 4],
      [2, 5],
      [7, 17],
      [3, 300],
      // Enough rows to split between threads.
      [300, 1000],
    ]) {
      const x = randomTensor(r, [rows, len], cpu, { lo: -6, hi: 6 });
      await agree((t) => T.softmax(t, -1), x, TOL, `softmax ${rows}x${len}`);
      await agree((t) => T.logSoftmax(t, -1), x, TOL, `logSoftmax ${rows}x${len}`);
      await agree((t) => T.layerNorm(t, [len]), x, TOL, `layerNorm ${rows}x${len}`);
      await agree((t) => T.rmsNorm(t, [len]), x, TOL, `rmsNorm ${rows}x${len}`);
    }
    // Rows along a middle axis, and of a transposed view: gathered, then scattered back.
    const y = randomTensor(r, [4, 9, 6], cpu, { lo: -6, hi: 6 });
    await agree((t) => T.softmax(t, 1), y, TOL, 'softmax axis 1');
    await agree((t) => T.logSoftmax(T.transpose(t), -1), y, TOL, 'logSoftmax transposed');
    await agree((t) => T.layerNorm(T.transpose(t), [9]), y, TOL, 'layerNorm transposed');
  });

  it('exponentiates accurately across the float range softmax sees', async () => {
    // Scores from -100 to 0: e^x spans every binade down to the subnormals (flushed to 0 below -87.3).
    const data = Array.from({ length: 401 }, (_, i) => -i / 4);
    const x = T.tensor(data, { shape: [1, 401], backend: cpu });
    const got = await T.softmax(await x.to(wasm), -1).data();
    const sum = data.reduce((s, v) => s + Math.exp(v), 0);
    let worst = 0;
    for (const [i, v] of data.entries()) {
      const want = Math.exp(v) / sum;
      if (want < 1e-37) expect(got[i]).toBeLessThan(2e-37);
      else worst = Math.max(worst, Math.abs(got[i] - want) / want);
    }
    expect(worst).toBeLessThan(1e-6);
  });
});

describe.each(variants.map((v) => [v.description, v] as const))('%s attention', (_, wasm) => {
  const r = rng(14);
  type Opts = Parameters<typeof T.scaledDotProductAttention>[3];

  /** The wasm kernel (on queries `vq(q)`) against the CPU one: float32 sums of D products in another order. */
  async function agree(
    q: T.Tensor,
    k: T.Tensor,
    v: T.Tensor,
    opts: Opts,
    what: string,
    vq = same,
  ): Promise<void> {
    const on = async (t: T.Tensor | undefined) => (t ? await t.to(wasm) : undefined);
    const wopts = opts && {
      ...opts,
      keyPaddingMask: await on(opts.keyPaddingMask),
      segments: await on(opts.segments),
    };
    const got = await T.scaledDotProductAttention(
      vq(await q.to(wasm)),
      await k.to(wasm),
      await v.to(wasm),
      wopts,
    ).data();
    const want = await T.scaledDotProductAttention(vq(q), k, v, opts).data();
    for (let i = 0; i < want.length; i++)
      if (!(Math.abs(got[i] - want[i]) <= 1e-5 * (1 + Math.abs(want[i]))))
        throw new Error(`${what} element ${i}: wasm ${got[i]}, cpu ${want[i]}`);
  }

  it('matches the CPU kernel under every mask, grouped heads and odd head sizes', async () => {
    const [B, H, Hkv, S, D, Dv] = [2, 4, 2, 13, 7, 5];
    const q = randomTensor(r, [B, H, S, D], cpu, { lo: -2, hi: 2 });
    const k = randomTensor(r, [B, Hkv, S, D], cpu, { lo: -2, hi: 2 });
    const v = randomTensor(r, [B, Hkv, S, Dv], cpu);
    const mask = T.tensor(
      Array.from({ length: B * S }, (_, i) => (i % 5 === 3 ? 1 : 0)),
      { shape: [B, S], dtype: 'u8', backend: cpu },
    );
    const docs = T.tensor(
      Array.from({ length: B * S }, (_, i) => Math.floor((i % S) / 4)),
      { shape: [B, S], dtype: 'i32', backend: cpu },
    );
    await agree(q, k, v, {}, 'plain');
    await agree(q, k, v, { causal: true }, 'causal');
    await agree(q, k, v, { causal: true, window: 3 }, 'window');
    await agree(q, k, v, { keyPaddingMask: mask }, 'padding');
    await agree(q, k, v, { causal: true, segments: docs }, 'documents');
    // The last 4 queries of a 13-key cache, and a query view that is not contiguous.
    const tail = (t: T.Tensor) => T.slice(t, [null, null, { start: S - 4 }]);
    await agree(q, k, v, { causal: true, qOffset: S - 4 }, 'query offset', tail);
    const qt = randomTensor(r, [B, H, D, S], cpu);
    await agree(qt, k, v, { causal: true }, 'transposed queries', (t) => T.transpose(t, -1, -2));
  });

  it('matches the CPU kernel on rows split between threads', async () => {
    const [q, k, v] = [0, 1, 2].map(() => randomTensor(r, [2, 4, 96, 32], cpu));
    await agree(q, k, v, { causal: true }, 'causal 2x4x96x32');
  });
});
