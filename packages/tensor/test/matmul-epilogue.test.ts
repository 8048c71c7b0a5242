// Epilogue fusion into matmul on WebGPU: an elementwise op that reads all of a product in its own
// layout runs in the matmul kernel's store. Fused results equal op-by-op ones (`setFusion(false)`)
// bit for bit; the fused case is one dispatch; a product read both plainly and through an epilogue
// is computed once; reads that are not the whole product, and the CPU and wasm backends, compute the
// product first; nothing leaks.
import { afterEach, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ex } from '../src/ir/exp.js';
import { Gpu } from '../src/webgpu/gpu.js';
import type { WebGPUBackend } from '../src/webgpu/index.js';
import { MATMUL_SMALL, matmulGpu } from '../src/webgpu/matmul.js';
import { registerFixedLoops } from '../src/webgpu/matmul-registers.js';
import { expectClose, gpuBackend, randomArray, rng } from './helpers.js';

const gpu = (await gpuBackend()) as WebGPUBackend | undefined;
// K = 2 slices of 4·(16 − fixed loops) plus a tail: three dispatches per product.
const capped = gpu ? await T.createWebGPUBackend({ loopBudget: 16 }) : undefined;

afterEach(() => {
  T.setFusion(true);
});

const r = rng(7);
const tensorOn = (b: T.Backend, shape: number[]) =>
  T.tensor(
    randomArray(
      r,
      shape.reduce((x, y) => x * y, 1),
    ),
    { shape, backend: b },
  );

/** The f32 bit patterns of a tensor's elements. */
const bits = async (t: T.Tensor): Promise<number[]> => [
  ...new Uint32Array(Float32Array.from((await t.data()) as Float32Array).buffer),
];

/** `fn` with fusion on and off: the results' bits, and the dispatches the fused run took. */
async function bothWays(
  b: WebGPUBackend,
  fn: () => T.Tensor,
): Promise<{ fused: number[]; unfused: number[]; dispatches: number }> {
  const before = b.ctx.dispatches;
  const f = fn();
  const fused = await bits(f);
  const dispatches = b.ctx.dispatches - before;
  f.dispose();
  T.setFusion(false);
  const u = fn();
  const unfused = await bits(u);
  u.dispose();
  T.setFusion(true);
  return { fused, unfused, dispatches };
}

describe.skipIf(!gpu)('matmul epilogue fusion (WebGPU)', () => {
  const b = gpu as WebGPUBackend;

  // Operands made once per case, outside the counted region.
  const cases: [string, () => () => T.Tensor][] = [
    [
      'bias add',
      () => {
        const [x, w, bias] = [tensorOn(b, [16, 32]), tensorOn(b, [32, 24]), tensorOn(b, [24])];
        return () => T.add(T.matmul(x, w), bias);
      },
    ],
    [
      'gelu of a biased linear layer (x · Wᵀ + b)',
      () => {
        const [x, w, bias] = [tensorOn(b, [16, 32]), tensorOn(b, [24, 32]), tensorOn(b, [24])];
        return () => T.gelu(T.linear(x, w, bias));
      },
    ],
    [
      'scaled product plus a residual',
      () => {
        const [x, w, res] = [tensorOn(b, [16, 32]), tensorOn(b, [32, 32]), tensorOn(b, [16, 32])];
        return () => T.add(T.mul(T.matmul(x, w), 0.5), res);
      },
    ],
    [
      'batched product with a bias broadcast over the batch',
      () => {
        const [x, w, bias] = [tensorOn(b, [3, 9, 12]), tensorOn(b, [3, 12, 10]), tensorOn(b, [10])];
        return () => T.silu(T.add(T.matmul(x, w), bias));
      },
    ],
    [
      'batched product broadcast from a 2-D weight',
      () => {
        const [x, w, bias] = [tensorOn(b, [2, 5, 8]), tensorOn(b, [8, 6]), tensorOn(b, [6])];
        return () => T.relu(T.add(T.matmul(x, w), bias));
      },
    ],
    [
      'transposed operands (Aᵀ · B)',
      () => {
        const [a, w, bias] = [tensorOn(b, [20, 12]), tensorOn(b, [20, 8]), tensorOn(b, [8])];
        return () => T.tanh(T.add(T.matmul(T.transpose(a), w), bias));
      },
    ],
    [
      'bias along the rows (a column [M, 1])',
      () => {
        const [x, w, bias] = [tensorOn(b, [12, 7]), tensorOn(b, [7, 9]), tensorOn(b, [12, 1])];
        return () => T.add(T.matmul(x, w), bias);
      },
    ],
    [
      'odd shapes 33×65×17 with both biases',
      () => {
        const [x, w] = [tensorOn(b, [33, 65]), tensorOn(b, [65, 17])];
        const [rowBias, colBias] = [tensorOn(b, [17]), tensorOn(b, [33, 1])];
        return () => T.gelu(T.add(T.add(T.matmul(x, w), rowBias), colBias));
      },
    ],
    [
      'GEMV (M = 1) with bias',
      () => {
        const [x, w, bias] = [tensorOn(b, [1, 40]), tensorOn(b, [40, 13]), tensorOn(b, [13])];
        return () => T.add(T.matmul(x, w), bias);
      },
    ],
    [
      'an epilogue reading the product through a reshape',
      () => {
        const [x, w, bias] = [tensorOn(b, [6, 10]), tensorOn(b, [10, 8]), tensorOn(b, [2, 3, 8])];
        return () => T.exp(T.add(T.reshape(T.matmul(x, w), [2, 3, 8]), bias));
      },
    ],
  ];

  for (const [name, make] of cases) {
    it(`${name}: one dispatch, the op-by-op bits`, async () => {
      const fn = make();
      const { fused, unfused, dispatches } = await bothWays(b, fn);
      expect(dispatches).toBe(1);
      expect(fused).toEqual(unfused);
    });
  }

  it('a product read plainly and through an epilogue runs once, in either order', async () => {
    const [x, w, bias] = [tensorOn(b, [10, 16]), tensorOn(b, [16, 12]), tensorOn(b, [12])];
    T.setFusion(false);
    const wantY = await bits(T.matmul(x, w));
    const wantZ = await bits(T.gelu(T.add(T.matmul(x, w), bias)));
    T.setFusion(true);

    // Epilogue first: its kernel stores the product too.
    let before = b.ctx.dispatches;
    let y = T.matmul(x, w);
    let z = T.gelu(T.add(y, bias));
    expect(await bits(z)).toEqual(wantZ);
    expect(await bits(y)).toEqual(wantY);
    expect(b.ctx.dispatches - before).toBe(1);
    for (const t of [y, z]) t.dispose();

    // Plain read first: the epilogue reads the stored product (a map kernel).
    before = b.ctx.dispatches;
    y = T.matmul(x, w);
    z = T.gelu(T.add(y, bias));
    expect(await bits(y)).toEqual(wantY);
    expect(await bits(z)).toEqual(wantZ);
    expect(b.ctx.dispatches - before).toBe(2);
    for (const t of [y, z]) t.dispose();

    // Two epilogues of one product computed together: one kernel with two outputs.
    before = b.ctx.dispatches;
    y = T.matmul(x, w);
    const p = T.add(y, bias);
    const q = T.mul(y, 3);
    T.realize(p, q);
    expect(b.ctx.dispatches - before).toBe(1);
    T.setFusion(false);
    const wantP = await bits(T.add(T.matmul(x, w), bias));
    const wantQ = await bits(T.mul(T.matmul(x, w), 3));
    T.setFusion(true);
    expect(await bits(p)).toEqual(wantP);
    expect(await bits(q)).toEqual(wantQ);
    for (const t of [y, p, q, x, w, bias]) t.dispose();
  });

  it('stores no product that nothing else reads', async () => {
    const [x, w, bias] = [tensorOn(b, [8, 8]), tensorOn(b, [8, 8]), tensorOn(b, [8])];
    const y = T.matmul(x, w);
    const z = T.add(y, bias);
    y.dispose();
    const live = b.liveBuffers();
    const before = b.ctx.dispatches;
    z.realize();
    // One kernel, one new buffer (z's): the product was never stored.
    expect(b.ctx.dispatches - before).toBe(1);
    expect(b.liveBuffers() - live).toBe(1);
    const got = await bits(z);
    T.setFusion(false);
    expect(got).toEqual(await bits(T.add(T.matmul(x, w), bias)));
    for (const t of [z, x, w, bias]) t.dispose();
  });

  it('computes the product first for reads that are not all of it in order', async () => {
    const [x, w, bias] = [tensorOn(b, [6, 9]), tensorOn(b, [9, 6]), tensorOn(b, [6])];
    const programs: [string, () => T.Tensor][] = [
      ['a transposed read', () => T.add(T.transpose(T.matmul(x, w)), bias)],
      ['a slice', () => T.exp(T.slice(T.matmul(x, w), [{ start: 1, end: 4 }]))],
      ['a broadcast', () => T.add(T.expand(T.matmul(x, w), [2, 6, 6]), 1)],
      ['the product and its transpose', () => T.add(T.matmul(x, w), T.transpose(T.matmul(x, w)))],
      ['a reduction', () => T.sum(T.add(T.matmul(x, w), bias), [1])],
      ['a matmul of a matmul', () => T.add(T.matmul(T.matmul(x, w), T.transpose(w)), 1)],
    ];
    for (const [name, fn] of programs) {
      const { fused, unfused } = await bothWays(b, fn);
      expect(fused, name).toEqual(unfused);
    }
    for (const t of [x, w, bias]) t.dispose();
  });

  it('sums a K cut into slices and applies the epilogue in the last', async () => {
    const c = capped as WebGPUBackend;
    const kStep = 4 * (16 - registerFixedLoops(0));
    const K = 2 * kStep + 5;
    const [x, w, bias] = [tensorOn(c, [5, K]), tensorOn(c, [K, 11]), tensorOn(c, [11])];
    const { fused, unfused, dispatches } = await bothWays(c, () => T.gelu(T.add(T.matmul(x, w), bias)));
    expect(dispatches).toBe(3);
    expect(fused).toEqual(unfused);
    for (const t of [x, w, bias]) t.dispose();
  });

  it('the workgroup-tiled variant does not fuse (the caller maps the product instead)', () => {
    const kernels = matmulGpu(new Gpu(b.ctx), () => MATMUL_SMALL);
    const x = tensorOn(b, [4, 4]);
    const view = {
      handle: x.storage.handle as GPUBuffer,
      shape: [4, 4],
      strides: [4, 1],
      offset: 0,
      dtype: 'f32' as const,
    };
    const exp = ex.alu('exp', ex.input(0, 'f32'));
    const done = kernels.epilogue(
      'matmul',
      { shape: [4, 4], dtype: 'f32' },
      [view, view],
      {},
      {
        exps: [exp],
        shape: [4, 4],
        slot: 0,
        inputs: [undefined],
        params: [],
        keep: false,
      },
    );
    expect(done).toBeUndefined();
    x.dispose();
  });

  it('gradients through a fused linear layer equal those without the epilogue (bit for bit) and op by op', async () => {
    const [xd, wd, bd] = [randomArray(r, 12 * 20), randomArray(r, 16 * 20), randomArray(r, 16)];
    const run = async () => {
      const x = T.tensor(xd, { shape: [12, 20], backend: b }).requireGrad();
      const w = T.tensor(wd, { shape: [16, 20], backend: b }).requireGrad();
      const bias = T.tensor(bd, { shape: [16], backend: b }).requireGrad();
      const before = b.ctx.dispatches;
      const loss = T.tidy(() => {
        const l = T.mean(T.square(T.gelu(T.linear(x, w, bias))));
        l.backward();
        return l;
      });
      const out = [await bits(loss), ...(await Promise.all([x, w, bias].map((t) => bits(t.grad!))))];
      const dispatches = b.ctx.dispatches - before;
      for (const t of [x, w, bias, loss]) t.dispose();
      return { out, dispatches };
    };
    const fused = await run();
    // The same fusion of elementwise ops, with the backend's epilogue hidden.
    const epilogue = b.epilogue;
    (b as { epilogue?: unknown }).epilogue = undefined;
    const plain = await run().finally(() => {
      (b as { epilogue?: unknown }).epilogue = epilogue;
    });
    T.setFusion(false);
    const unfused = await run();
    expect(fused.out).toEqual(plain.out);
    expect(fused.dispatches).toBeLessThan(plain.dispatches);
    // Op by op, the backward's own elementwise chains round differently in a few elements (with or
    // without the epilogue: the forward and the loss are the same bits).
    expect(fused.out[0]).toEqual(unfused.out[0]);
    const floats = (u: number[]) => new Float32Array(Uint32Array.from(u).buffer);
    for (const k of [1, 2, 3]) expectClose(floats(fused.out[k]), floats(unfused.out[k]), 1e-5, 1e-7);
  });

  it('50 fused linear layers leave the live buffer count flat', async () => {
    const [x, w, bias] = [tensorOn(b, [16, 24]), tensorOn(b, [24, 24]), tensorOn(b, [24])];
    const step = async (i: number) => {
      const out = T.tidy(() => {
        const y = T.gelu(T.linear(x, w, bias));
        // Every few steps: a product read plainly as well, and one disposed without being read.
        if (i % 3 === 0) T.keep(T.matmul(x, w)).dispose();
        if (i % 2 === 0) return T.add(y, T.sum(T.matmul(x, w)));
        return y;
      });
      await out.data();
      out.dispose();
    };
    await step(0);
    await step(1);
    const live = b.liveBuffers();
    for (let i = 0; i < 50; i++) await step(i);
    expect(b.liveBuffers()).toBe(live);
    for (const t of [x, w, bias]) t.dispose();
  });
});

describe('matmul on backends without epilogues', () => {
  it('the CPU and wasm backends compute matmul at once', async () => {
    const wasm = await T.wasmBackend();
    for (const b of [T.cpuBackend, wasm]) {
      expect(b.epilogue).toBeUndefined();
      const [x, w] = [tensorOn(b, [3, 4]), tensorOn(b, [4, 2])];
      const y = T.matmul(x, w);
      expect(y.storage.call).toBeUndefined();
      expect(y.storage.pending).toBeUndefined();
      for (const t of [x, w, y]) t.dispose();
    }
  });
});
