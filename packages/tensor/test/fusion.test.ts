// Fusion: chains of elementwise ops run as one kernel and give what op-by-op execution gives.
import { afterEach, describe, expect, it } from 'vitest';
import { composer, reshapedStrides } from '../src/fusion/views.js';
import * as T from '../src/index.js';
import { contiguousStrides, numel } from '../src/shape.js';
import { backends, rng } from './helpers.js';

const list = await backends();

/** `backend` with a count of the elementwise kernels it runs. */
function counting(backend: T.Backend): { backend: T.Backend; kernels: () => number } {
  let n = 0;
  const counted: T.Backend = {
    ...backend,
    map: (...args) => {
      n++;
      return backend.map(...args);
    },
  };
  return { backend: counted, kernels: () => n };
}

/** Runs `fn` with fusion on or off, restoring the setting after. */
function withFusion<R>(on: boolean, fn: () => R): R {
  const was = T.setFusion(on);
  try {
    return fn();
  } finally {
    T.setFusion(was);
  }
}

afterEach(() => {
  T.setFusion(true);
});

describe.each(list)('fusion on %s', (_name, base) => {
  const r = rng(7);
  const random = (backend: T.Backend, shape: number[]) =>
    T.tensor(
      Array.from({ length: numel(shape) }, () => r() * 4 - 2),
      { shape, backend },
    ).realize();

  it('runs a chain of elementwise ops with scalar operands as one kernel', async () => {
    const { backend, kernels } = counting(base);
    const x = random(backend, [3, 70]);
    const y = T.tanh(T.sub(T.mul(T.exp(T.add(T.mul(x, 2), 1)), x), 3));
    expect(kernels()).toBe(0); // pending until read
    const fused = await y.data();
    expect(kernels()).toBe(1);
    const unfused = withFusion(false, () => T.tanh(T.sub(T.mul(T.exp(T.add(T.mul(x, 2), 1)), x), 3)));
    // Six ops, and before fusion a kernel for each of the three scalars.
    expect(kernels()).toBe(1 + 6 + 3);
    expect(await unfused.data()).toEqual(fused);
  });

  it('reads views of pending results without computing them (transpose, slice, broadcast, reshape)', async () => {
    const { backend, kernels } = counting(base);
    const x = random(backend, [4, 6]);
    const cases: [string, (p: T.Tensor) => T.Tensor, number][] = [
      // [what, a view of the pending p = 2x + 1 read by an elementwise op, kernels fused]
      ['transpose', (p) => T.transpose(p, 0, 1), 1],
      [
        'slice with an offset',
        (p) =>
          T.slice(p, [
            { start: 1, end: 3 },
            { start: 2, end: 5 },
          ]),
        1,
      ],
      ['broadcast of a row', (p) => T.expand(T.slice(p, [{ start: 2, end: 3 }]), [5, 6]), 1],
      ['reshape merging contiguous dims', (p) => T.reshape(p, [24]), 1],
      ['reshape splitting dims', (p) => T.reshape(p, [2, 2, 3, 2]), 1],
      ['strided slice', (p) => T.slice(p, [{ step: 2 }, { step: 3 }]), 1],
      // A transpose merged by a reshape has no single window: p is computed, then read.
      ['transpose then reshape', (p) => T.reshape(T.contiguous(T.transpose(p, 0, 1)), [24]), 2],
    ];
    for (const [what, view, expected] of cases) {
      const before = kernels();
      const fused = await T.neg(view(T.add(T.mul(x, 2), 1))).data();
      expect(kernels() - before, what).toBe(expected);
      const unfused = await withFusion(false, () => T.neg(view(T.add(T.mul(x, 2), 1)))).data();
      expect(unfused, what).toEqual(fused);
    }
  });

  it('inlines recipes of the element position (arange, rand) only where positions line up', async () => {
    const { backend, kernels } = counting(base);
    const make = () => T.mul(T.arange(0, 12, 1, { backend }), 3);
    let before = kernels();
    const reshaped = await T.add(T.reshape(make(), [3, 4]), 1).data();
    expect(kernels() - before).toBe(1);
    before = kernels();
    const transposed = await T.add(T.transpose(T.reshape(make(), [3, 4]), 0, 1), 1).data();
    expect(kernels() - before).toBe(2);
    expect([...reshaped]).toEqual(Array.from({ length: 12 }, (_, i) => 3 * i + 1));
    expect([...transposed]).toEqual([0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11].map((i) => 3 * i + 1));
    const noise = (g: number) =>
      T.slice(T.rand([6, 5], { backend, generator: new T.Generator(g) }), [
        { start: 1, end: 5 },
        { start: 1, end: 4 },
      ]);
    const fusedNoise = await T.mul(noise(3), 2).data();
    const unfusedNoise = await withFusion(false, () => T.mul(noise(3), 2)).data();
    expect(unfusedNoise).toEqual(fusedNoise);
  });

  it('splits a fusion wider than the kernel input limit and still computes every term', async () => {
    const { backend, kernels } = counting(base);
    const n = backend.maxMapInputs + 5;
    const xs = Array.from({ length: n }, (_, i) => T.mul(T.ones([33], { backend }), i + 1).realize());
    const before = kernels();
    let acc = xs[0];
    for (const x of xs.slice(1)) acc = T.add(acc, x);
    expect(await acc.data()).toEqual(new Float32Array(33).fill((n * (n + 1)) / 2));
    const used = kernels() - before;
    expect(used).toBeGreaterThan(1);
    expect(used).toBeLessThan(n - 1);
  });

  it('recomputes a small pending value for each reader and computes a large one once', async () => {
    const { backend, kernels } = counting(base);
    const x = random(backend, [50]);
    const small = T.mul(x, 0.5);
    let before = kernels();
    const [a, b] = [T.add(small, 1), T.sub(small, 1)];
    await Promise.all([a.data(), b.data()]);
    expect(kernels() - before).toBe(2); // a and b, each computing x·0.5 itself
    let big = x;
    for (let i = 0; i < 12; i++) big = T.sin(T.add(big, 0.1));
    before = kernels();
    const [c, d] = [T.add(big, 1), T.sub(big, 1)];
    await Promise.all([c.data(), d.data()]);
    expect(kernels() - before).toBe(3); // c inlines big; big once for d; d
    const ref = withFusion(false, () => {
      let v = x;
      for (let i = 0; i < 12; i++) v = T.sin(T.add(v, 0.1));
      return [T.add(v, 1), T.sub(v, 1)];
    });
    expect(await ref[0].data()).toEqual(await c.data());
    expect(await ref[1].data()).toEqual(await d.data());
  });

  it('frees what a pending result reads when it is disposed unread, without computing it', () => {
    const { backend, kernels } = counting(base);
    const x = random(backend, [8]);
    const live = backend.liveBuffers();
    const before = kernels();
    for (let i = 0; i < 100; i++) {
      T.tidy(() => {
        const tmp = T.exp(T.mul(T.mul(x, 2), x));
        expect(tmp.storage.pending).toBeDefined();
      });
    }
    expect(kernels() - before).toBe(0);
    expect(backend.liveBuffers()).toBe(live);
  });

  it('computes tidy results and kept tensors, so that their inputs are freed; assign stays pending', async () => {
    const { backend, kernels } = counting(base);
    const w = random(backend, [16]);
    const out = T.tidy(() => T.mul(T.add(w, 1), 2));
    expect(out.storage.pending).toBeUndefined();
    const kept = T.tidy(() => T.keep(T.neg(w)));
    expect(kept.storage.pending).toBeUndefined();
    const p = random(backend, [16]);
    const before = kernels();
    p.assign(T.sub(p, T.mul(w, 0.1)));
    expect(p.storage.pending).toBeDefined();
    const next = T.mul(p, 3); // reads the pending update inline
    expect([...(await next.data())]).toEqual([...(await withFusion(false, () => T.mul(p, 3)).data())]);
    // next; then, op by op: p itself, the scalar 3 and the product
    expect(kernels() - before).toBe(4);
    for (const t of [w, out, kept, p, next]) t.dispose();
  });

  it('reads a pending input of a reduction or row op through its expression, computing nothing else', async () => {
    const { backend, kernels } = counting(base);
    const x = random(backend, [6, 37]);
    const ops: [string, (t: T.Tensor) => T.Tensor][] = [
      ['sum of all', (t) => T.sum(t)],
      ['sum over rows', (t) => T.sum(t, 0)],
      ['max', (t) => T.max(t, 1)],
      ['min', (t) => T.min(t, 0)],
      ['argmax', (t) => T.argmax(t, 1)],
      ['cumsum', (t) => T.cumsum(t, 1)],
      ['softmax', (t) => T.softmax(t, 0)],
      ['log-softmax', (t) => T.logSoftmax(t, 1)],
      ['layer norm', (t) => T.layerNorm(t, [6])],
      ['RMS norm', (t) => T.rmsNorm(t, [37])],
    ];
    // A pending input over a transposed view, with a scalar: the kernel reads x twice and 0.5.
    const input = () => T.mul(T.add(x, 0.5), T.sin(x));
    for (const [what, op] of ops) {
      const t = what.includes('layer') ? () => T.transpose(input(), 0, 1) : input;
      const before = kernels();
      const fused = await op(t()).data();
      expect(kernels() - before, what).toBe(0);
      const unfused = await withFusion(false, () => op(t())).data();
      expect(unfused, what).toEqual(fused);
    }
  });

  it('computes several pending results of one shape in one kernel with realize', async () => {
    const { backend, kernels } = counting(base);
    const [p, g, m] = [random(backend, [40]), random(backend, [40]), random(backend, [40])];
    const step = () => {
      const m2 = T.add(T.mul(m, 0.9), T.mul(g, 0.1));
      return { m2, p2: T.sub(p, T.mul(m2, 0.01)), g2: T.mul(g, 2) };
    };
    const a = step();
    const before = kernels();
    T.realize(a.p2, a.m2, a.g2, a.p2);
    expect(kernels() - before).toBe(1);
    expect([a.p2, a.m2, a.g2].every((t) => t.storage.pending === undefined)).toBe(true);
    const b = withFusion(false, step);
    for (const k of ['m2', 'p2', 'g2'] as const) expect(await a[k].data(), k).toEqual(await b[k].data());
  });

  it('gives what op-by-op execution gives over random programs of elementwise ops and views', async () => {
    const { backend, kernels } = counting(base);
    const rr = rng(base.name === 'cpu' ? 11 : 12);
    const pick = <V>(xs: readonly V[]): V => xs[Math.floor(rr() * xs.length)];
    const unary = [T.neg, T.abs, T.tanh, T.sigmoid, T.sin, T.relu, T.gelu, T.silu, T.exp];
    const binary = [T.add, T.sub, T.mul, T.maximum, T.minimum];
    const leaves = [random(backend, [4, 5, 6]), random(backend, [4, 5, 6]), random(backend, [5, 6])];
    // A program is a list of steps; each step's random choices are drawn once, replayed for both runs.
    type Step = (vals: T.Tensor[]) => T.Tensor;
    const makeStep = (): Step => {
      const kind = pick(['unary', 'binary', 'scalar', 'view', 'where'] as const);
      const i = Math.floor(rr() * 1e6);
      const j = Math.floor(rr() * 1e6);
      const s = Math.round((rr() * 4 - 2) * 8) / 8;
      const f = pick(unary);
      const g = pick(binary);
      const view = pick(['transpose', 'slice', 'reshape', 'contiguous'] as const);
      return (vals) => {
        const a = vals[i % vals.length];
        const b = vals[j % vals.length];
        if (kind === 'unary') return f(a);
        if (kind === 'scalar') return g(a, s);
        if (kind === 'where') return T.where(T.gt(a, s), a, T.mul(a, 0.5));
        if (kind === 'binary') {
          const fits = a.rank >= b.rank && b.shape.every((d, k) => d === a.shape[a.rank - b.rank + k]);
          return fits ? g(a, b) : g(a, s);
        }
        if (view === 'transpose') return T.transpose(a, 0, a.rank - 1);
        if (view === 'slice')
          return T.slice(
            a,
            a.shape.map((d) => ({ start: d > 1 ? 1 : 0 })),
          );
        if (view === 'reshape') return T.reshape(T.contiguous(a), [-1]);
        return T.contiguous(a);
      };
    };
    const programs = base.name === 'cpu' ? 150 : 40;
    let saved = 0;
    let fusedSome = 0;
    for (let p = 0; p < programs; p++) {
      const steps = Array.from({ length: 3 + Math.floor(rr() * 8) }, makeStep);
      const run = () => {
        const vals = [...leaves];
        for (const step of steps) vals.push(step(vals));
        return T.add(T.sum(vals[vals.length - 1]), 0);
      };
      let before = kernels();
      const fused = await run().data();
      const fusedKernels = kernels() - before;
      before = kernels();
      const unfused = await withFusion(false, run).data();
      const unfusedKernels = kernels() - before;
      expect(fused[0]).toBe(unfused[0]);
      expect(fusedKernels).toBeLessThanOrEqual(unfusedKernels);
      saved += unfusedKernels - fusedKernels;
      if (fusedKernels < unfusedKernels) fusedSome++;
    }
    // Most programs have a chain to fuse; each fused one saves at least a kernel.
    expect(fusedSome).toBeGreaterThan(programs * 0.7);
    expect(saved).toBeGreaterThan(programs);
  });
});

describe('view composition', () => {
  it('finds windows that address the same elements as the view, over random shapes and views', () => {
    const r = rng(3);
    const tally = { composed: 0, refused: 0 };
    for (let trial = 0; trial < 2000; trial++) {
      const rank = 1 + Math.floor(r() * 3);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 4));
      const n = numel(shape);
      // A source window over `shape`: a random permutation of a contiguous array, maybe broadcast.
      const perm = shape.map((_, i) => i).sort(() => r() - 0.5);
      const permStrides = contiguousStrides(perm.map((d) => shape[d]));
      const src = {
        strides: shape.map((_, d) => (r() < 0.15 ? 0 : permStrides[perm.indexOf(d)])),
        offset: Math.floor(r() * 5),
      };
      // A view of the contiguous array of `shape`: a (stepped) slice, a permutation, or a reshape.
      let vShape = [...shape];
      let view = { strides: contiguousStrides(shape), offset: 0 };
      const kind = r();
      if (kind < 0.35) {
        const starts = shape.map((d) => Math.floor(r() * d));
        const steps = shape.map(() => 1 + Math.floor(r() * 2));
        vShape = shape.map((d, i) => 1 + Math.floor(r() * Math.ceil((d - starts[i]) / steps[i])));
        view = {
          strides: view.strides.map((s, i) => s * steps[i]),
          offset: starts.reduce((a, s, i) => a + s * view.strides[i], 0),
        };
      } else if (kind < 0.7) {
        const p = shape.map((_, i) => i).sort(() => r() - 0.5);
        vShape = p.map((d) => shape[d]);
        view = { strides: p.map((d) => view.strides[d]), offset: 0 };
      } else {
        vShape = factor(n, r);
        view = { strides: contiguousStrides(vShape), offset: 0 };
      }
      const c = composer(shape, vShape, view);
      const w = c?.compose(src);
      if (!w) {
        tally.refused++;
        continue;
      }
      tally.composed++;
      // Brute force: element at view index i is array element p; the source reads it at src(p).
      for (let i = 0; i < numel(vShape); i++) {
        const vi = unravel(i, vShape);
        const p = view.offset + vi.reduce((a, x, d) => a + x * view.strides[d], 0);
        const pi = unravel(p, shape);
        const want = src.offset + pi.reduce((a, x, d) => a + x * src.strides[d], 0);
        const got = w.offset + vi.reduce((a, x, d) => a + x * w.strides[d], 0);
        expect(got).toBe(want);
      }
    }
    // Slices and permutations always compose; reshapes do unless a permuted source must merge.
    expect(tally.composed).toBeGreaterThan(1500);
    expect(tally.refused).toBeGreaterThan(20);
  });

  it('reshapes strided windows as NumPy does without a copy', () => {
    expect(reshapedStrides([2, 3], [3, 1], [6])).toEqual([1]);
    expect(reshapedStrides([2, 3], [1, 2], [6])).toBeUndefined(); // a transpose cannot merge
    expect(reshapedStrides([2, 3], [1, 2], [2, 3, 1])).toEqual([1, 2, 0]);
    expect(reshapedStrides([4, 6], [0, 1], [2, 2, 3, 2])).toEqual([0, 0, 2, 1]);
    expect(reshapedStrides([6], [5], [3, 2])).toEqual([10, 5]);
  });
});

function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return idx;
}

/** A random shape with `n` elements. */
function factor(n: number, r: () => number): number[] {
  const out: number[] = [];
  let left = n;
  for (let f = 2; f <= left; f++) {
    while (left % f === 0) {
      if (r() < 0.5 || out.length === 0) out.push(f);
      else out[out.length - 1] *= f;
      left /= f;
    }
  }
  if (r() < 0.3) out.splice(Math.floor(r() * (out.length + 1)), 0, 1);
  return out.length ? out : [1];
}
