import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, gradcheck, randomInput, randomShape, rng } from './helpers.js';

const list = await backends();

// Independent references on flat row-major arrays, written from the PyTorch definitions.
const strides = (shape: readonly number[]) => {
  const s = shape.map(() => 1);
  for (let d = shape.length - 2; d >= 0; d--) s[d] = s[d + 1] * shape[d + 1];
  return s;
};
const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const unravel = (i: number, shape: readonly number[]) => {
  const st = strides(shape);
  return shape.map((n, d) => Math.floor(i / st[d]) % n);
};
const ravel = (c: readonly number[], shape: readonly number[]) => {
  const st = strides(shape);
  return c.reduce((a, v, d) => a + v * st[d], 0);
};
/** out[c] = x[c with c[axis] = index[c]] over the index's shape. */
function gatherRef(x: number[], xs: number[], idx: number[], is: number[], axis: number): number[] {
  return idx.map((t, i) => {
    const c = unravel(i, is);
    c[axis] = t;
    return x[ravel(c, xs)];
  });
}
/** x with src[c] added at (c with c[axis] = index[c]) for every c of the index's shape. */
function scatterAddRef(
  x: number[],
  xs: number[],
  idx: number[],
  is: number[],
  src: number[],
  ss: number[],
  axis: number,
) {
  const out = [...x];
  idx.forEach((t, i) => {
    const c = unravel(i, is);
    const v = src[ravel(c, ss)];
    c[axis] = t;
    out[ravel(c, xs)] += v;
  });
  return out;
}
/** The 1-D index seen over `shape` along `axis`: what index_select/index_add use at each element. */
const spreadRef = (idx: number[], shape: number[], axis: number) =>
  Array.from({ length: size(shape) }, (_, i) => idx[unravel(i, shape)[axis]]);
/** PyTorch's sort order: NaN last, ties (-0 = +0 included) by position. Returns the sorting permutation. */
function argsortRow(row: number[], descending: boolean): number[] {
  const key = (v: number) => (Number.isNaN(v) ? Infinity : v);
  const rank = (v: number) => (Number.isNaN(v) ? 1 : 0);
  return row
    .map((v, j) => ({ v, j }))
    .sort((a, b) => {
      const c = rank(a.v) - rank(b.v) || (key(a.v) < key(b.v) ? -1 : key(a.v) > key(b.v) ? 1 : 0);
      return (descending ? -c : c) || a.j - b.j;
    })
    .map((e) => e.j);
}
function argsortRef(x: number[], shape: number[], axis: number, descending: boolean): number[] {
  const out = new Array<number>(x.length);
  const st = strides(shape)[axis];
  for (let i = 0; i < x.length; i++) {
    const c = unravel(i, shape);
    if (c[axis] !== 0) continue;
    const at = (j: number) => i + j * st;
    const perm = argsortRow(
      Array.from({ length: shape[axis] }, (_, j) => x[at(j)]),
      descending,
    );
    perm.forEach((p, j) => {
      out[at(j)] = p;
    });
  }
  return out;
}

describe.each(list)('indexing and sorting on %s', (_name, backend) => {
  const r = rng(31);
  const ints = (values: T.NestedArray, shape?: number[]) =>
    T.tensor(values, { dtype: 'i32', shape, backend });
  const floats = (values: number[], shape: number[]) => T.tensor(values, { shape, backend });
  const randInts = (n: number, hi: number) => Array.from({ length: n }, () => Math.floor(r() * hi));
  const randFloats = (n: number) => Array.from({ length: n }, () => Math.fround(r() * 2 - 1));
  const data = async (t: T.Tensor) => [...(await t.data())];

  it('gather and scatterAdd follow torch semantics', async () => {
    const x = T.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { backend },
    );
    expect(
      await T.gather(
        x,
        1,
        ints([
          [2, 0],
          [1, 1],
        ]),
      ).toArray(),
    ).toEqual([
      [3, 1],
      [5, 5],
    ]);
    expect(await T.gather(x, 0, ints([[1, 0, 1]])).toArray()).toEqual([[4, 2, 6]]);
    // Repeated indices accumulate.
    const src = T.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { backend },
    );
    expect(
      await T.scatterAdd(
        T.zeros([2, 3], { backend }),
        1,
        ints([
          [0, 0],
          [2, 1],
        ]),
        src,
      ).toArray(),
    ).toEqual([
      [3, 0, 0],
      [0, 4, 3],
    ]);
    const zi = T.zeros([4], { backend, dtype: 'i32' });
    expect(await T.scatterAdd(zi, 0, ints([1, 1, 3]), ints([5, 6, 7])).toArray()).toEqual([0, 11, 0, 7]);
    // The input is not modified: the ops are out of place.
    expect(await x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it('indexSelect, indexAdd, embedding and oneHot', async () => {
    const x = T.tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { backend },
    );
    expect(await T.indexSelect(x, 0, ints([2, 0, 2])).toArray()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(await T.indexSelect(x, 1, ints([1])).toArray()).toEqual([[2], [4], [6]]);
    const acc = T.indexAdd(T.zeros([3, 2], { backend }), 0, ints([0, 0, 2]), T.ones([3, 2], { backend }));
    expect(await acc.toArray()).toEqual([
      [2, 2],
      [0, 0],
      [1, 1],
    ]);
    const e = T.embedding(
      x,
      ints([
        [0, 1],
        [2, 2],
      ]),
    );
    expect(e.shape).toEqual([2, 2, 2]);
    expect(await e.toArray()).toEqual([
      [
        [1, 2],
        [3, 4],
      ],
      [
        [5, 6],
        [5, 6],
      ],
    ]);
    expect(await T.embedding(x, ints(1, [])).toArray()).toEqual([3, 4]);
    expect(await T.oneHot(ints([2, 0]), 3).toArray()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    expect(await T.oneHot(ints(1, []), 2).toArray()).toEqual([0, 1]);
  });

  it('gather, scatterAdd, indexSelect and indexAdd match the reference on random shapes and strided views', async () => {
    const cases: number[][] = [
      [300, 7],
      [5, 257],
      [1],
      ...Array.from({ length: 6 }, (_, k) => randomShape(r, 1 + (k % 3), 7)),
    ];
    for (const xs of cases) {
      const rank = xs.length;
      const axis = Math.floor(r() * rank);
      // x is a transposed view of a contiguous tensor when it has two dims or more.
      const xv = randFloats(size(xs));
      const rev = [...xs.keys()].reverse();
      const x = T.permute(
        floats(
          transposeData(xv, xs),
          rev.map((d) => xs[d]),
        ),
        rev,
      );
      // gather: index dims up to x's (any size along the axis), duplicates likely.
      const is = xs.map((n, d) => (d === axis ? 1 + Math.floor(r() * 2 * n) : 1 + Math.floor(r() * n)));
      const iv = randInts(size(is), xs[axis]);
      // The index is a strided view: every other element of a wider tensor.
      const wide = ints(
        iv.flatMap((t) => [t, -1]),
        is.map((n, d) => (d === rank - 1 ? 2 * n : n)),
      );
      const index = T.slice(
        wide,
        is.map((_, d) => (d === rank - 1 ? { step: 2 } : null)),
      );
      const what = `shape ${xs} axis ${axis}`;
      expectClose(
        await data(T.gather(x, axis, index)),
        gatherRef(xv, xs, iv, is, axis),
        0,
        0,
        `gather ${what}`,
      );
      // scatterAdd: src may be larger than the index; only the index's extent is added.
      const ss = is.map((n) => n + Math.floor(r() * 2));
      const sv = randFloats(size(ss));
      expectClose(
        await data(T.scatterAdd(x, axis, index, floats(sv, ss))),
        scatterAddRef(xv, xs, iv, is, sv, ss, axis),
        1e-5,
        1e-6,
        `scatterAdd ${what}`,
      );
      // indexSelect / indexAdd with repeated indices, the 1-D index a strided slice.
      const m = 1 + Math.floor(r() * 2 * xs[axis]);
      const sel = randInts(2 * m, xs[axis]).filter((_, k) => k % 2 === 0);
      const selT = T.slice(ints(sel.flatMap((v) => [v, -1])), [{ step: 2 }]);
      const os = xs.map((n, d) => (d === axis ? m : n));
      const spread = spreadRef(sel, os, axis);
      expectClose(
        await data(T.indexSelect(x, axis, selT)),
        gatherRef(xv, xs, spread, os, axis),
        0,
        0,
        `indexSelect ${what}`,
      );
      const av = randFloats(size(os));
      expectClose(
        await data(T.indexAdd(x, axis, selT, floats(av, os))),
        scatterAddRef(xv, xs, spread, os, av, os, axis),
        1e-5,
        1e-6,
        `indexAdd ${what}`,
      );
    }
  });

  it('scatter-adds accumulate under heavy collisions in every dtype', async () => {
    // Every element of src lands on the same few outputs: on WebGPU the atomics contend.
    const n = 3000;
    const idx = randInts(n, 3);
    const f = randFloats(n);
    const want = [0, 0, 0];
    idx.forEach((t, i) => {
      want[t] += f[i];
    });
    expectClose(
      await data(T.scatterAdd(T.zeros([3], { backend }), 0, ints(idx), floats(f, [n]))),
      want,
      1e-4,
      1e-4,
    );
    const wantI = [0, 0, 0];
    idx.forEach((t, i) => {
      wantI[t] += i;
    });
    const iota = Array.from({ length: n }, (_, i) => i);
    expect(await data(T.indexAdd(T.zeros([3], { backend, dtype: 'i32' }), 0, ints(idx), ints(iota)))).toEqual(
      wantI,
    );
    const u = T.tensor(iota, { dtype: 'u32', backend });
    expect(await data(T.scatterAdd(T.zeros([3], { backend, dtype: 'u32' }), 0, ints(idx), u))).toEqual(wantI);
  });

  it('oneHot matches the reference, strided ids included', async () => {
    const ids = randInts(3 * 100, 7);
    const t = T.transpose(ints(ids, [3, 100]));
    const got = await data(T.oneHot(t, 7));
    const want = Array.from({ length: 300 * 7 }, (_, i) => {
      const [a, b, c] = unravel(i, [100, 3, 7]);
      return ids[b * 100 + a] === c ? 1 : 0;
    });
    expect(got).toEqual(want);
  });

  it('argsort is stable and matches the reference on rows shorter and longer than a workgroup block', async () => {
    // Few distinct values, so ties are common; [1, 9000] takes three merge passes on WebGPU.
    for (const [shape, axis] of [
      [[2, 300], 1],
      [[257, 3], 0],
      [[3, 2500], 1],
      [[1, 9000], 1],
      [[4, 1], 1],
      [[2, 5, 33], 1],
    ] as [number[], number][]) {
      const v = randInts(size(shape), 20);
      const x = T.tensor(v, { shape, backend });
      // Scratch buffers of the merge passes are given back: only the output stays.
      const live = backend.liveBuffers();
      T.argsort(x, axis).dispose();
      expect(backend.liveBuffers()).toBe(live);
      for (const desc of [false, true]) {
        expect(await data(T.argsort(x, axis, desc)), `${shape} axis ${axis} desc ${desc}`).toEqual(
          argsortRef(v, shape, axis, desc),
        );
      }
    }
    // A strided (transposed) input of i32 with negatives.
    const v = randInts(40 * 6, 11).map((a) => a - 5);
    const xt = T.transpose(T.tensor(v, { shape: [40, 6], dtype: 'i32', backend }));
    const vt = transposeData(v, [40, 6]);
    expect(await data(T.argsort(xt, -1, true))).toEqual(argsortRef(vt, [6, 40], 1, true));
  });

  it('argsort orders NaN, infinities, signed zeros and integer extremes like torch.sort', async () => {
    const special = [Number.NaN, 1, -0, 0, -Infinity, Infinity, Number.NaN, -1, 0];
    const x = floats(special, [9]);
    // NaN last ascending, first descending; -0 and 0 tie and keep their order.
    expect(await data(T.argsort(x))).toEqual([4, 7, 2, 3, 8, 1, 5, 0, 6]);
    expect(await data(T.argsort(x, -1, true))).toEqual([0, 6, 5, 1, 2, 3, 8, 7, 4]);
    const i = [2147483647, -2147483648, 0, -1, 1];
    expect(await data(T.argsort(ints(i)))).toEqual([1, 3, 2, 4, 0]);
    const u = T.tensor([4294967295, 0, 2147483648, 7], { dtype: 'u32', backend });
    expect(await data(T.argsort(u))).toEqual([1, 3, 2, 0]);
    const b = T.tensor([1, 0, 1, 0], { dtype: 'u8', backend });
    expect(await data(T.argsort(b))).toEqual([1, 3, 0, 2]);
  });

  it('sort and topk return sorted values with their indices', async () => {
    const x = T.tensor(
      [
        [3, 1, 2, 1],
        [0, 5, 5, -1],
      ],
      { backend },
    );
    const s = T.sort(x);
    expect(await s.values.toArray()).toEqual([
      [1, 1, 2, 3],
      [-1, 0, 5, 5],
    ]);
    expect(await s.indices.toArray()).toEqual([
      [1, 3, 2, 0],
      [3, 0, 1, 2],
    ]);
    expect(await T.sort(x, 0).values.toArray()).toEqual([
      [0, 1, 2, -1],
      [3, 5, 5, 1],
    ]);
    const t = T.topk(x, 2);
    expect(await t.values.toArray()).toEqual([
      [3, 2],
      [5, 5],
    ]);
    expect(await t.indices.toArray()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    // Rows longer than a workgroup, both directions, against the reference.
    const shape = [3, 300];
    const v = randFloats(900);
    const y = floats(v, shape);
    for (const largest of [true, false]) {
      const { values, indices } = T.topk(y, 5, -1, largest);
      expect(values.shape).toEqual([3, 5]);
      const want = argsortRef(v, shape, 1, largest);
      const wantIdx = [0, 1, 2].flatMap((row) => want.slice(row * 300, row * 300 + 5));
      expect(await data(indices)).toEqual(wantIdx);
      expectClose(
        await data(values),
        wantIdx.map((j, k) => v[Math.floor(k / 5) * 300 + j]),
        0,
        0,
      );
    }
    expect(T.topk(y, 0).values.shape).toEqual([3, 0]);
  });

  it('handles empty tensors', async () => {
    const x = floats([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(T.gather(x, 1, ints([], [2, 0])).shape).toEqual([2, 0]);
    expect(await data(T.indexSelect(x, 0, ints([])))).toEqual([]);
    expect(await data(T.indexAdd(x, 0, ints([]), floats([], [0, 3])))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(await data(T.scatterAdd(x, 0, ints([], [0, 3]), floats([], [0, 3])))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(T.oneHot(ints([], [0, 2]), 4).shape).toEqual([0, 2, 4]);
    expect(await data(T.argsort(floats([], [3, 0])))).toEqual([]);
    expect(await data(T.argsort(floats([], [0, 5])))).toEqual([]);
  });

  it('gradients match finite differences', async () => {
    const x = (shape: number[], lo?: number, hi?: number) => randomInput(r, shape, lo, hi);
    // Finite differences run on the CPU, so index tensors follow the data's backend; only the float inputs are checked.
    const on = (t: T.Tensor, values: number[], shape?: number[]) =>
      T.tensor(values, { dtype: 'i32', shape, backend: t.backend });
    await gradcheck((t) => T.gather(t, 1, on(t, [0, 2, 2, 1, 0, 0], [2, 3])), [x([2, 4])], backend);
    await gradcheck(
      (t, s) => T.scatterAdd(t, 0, on(t, [1, 0, 1], [1, 3]), s),
      [x([2, 3]), x([2, 3])],
      backend,
    );
    // src larger than the index: the elements outside it get zero gradient.
    await gradcheck(
      (t, s) => T.scatterAdd(t, 1, on(t, [2, 2, 0, 1], [2, 2]), s),
      [x([2, 3]), x([3, 3])],
      backend,
    );
    // A constant src: only the input's gradient is asked for, and the rule skips src's.
    const fixed = (t: T.Tensor, shape: number[]) =>
      T.tensor(
        Array.from({ length: size(shape) }, (_, i) => i / 4),
        { shape, backend: t.backend },
      );
    await gradcheck((t) => T.scatterAdd(t, 1, on(t, [2, 0], [1, 2]), fixed(t, [1, 2])), [x([2, 3])], backend);
    await gradcheck((t) => T.indexAdd(t, 0, on(t, [1, 1]), fixed(t, [2, 3])), [x([2, 3])], backend);
    await gradcheck((t) => T.indexSelect(t, 0, on(t, [2, 0, 2])), [x([3, 2])], backend);
    await gradcheck((t, s) => T.indexAdd(t, 1, on(t, [1, 1]), s), [x([2, 3]), x([2, 2])], backend);
    await gradcheck((w) => T.embedding(w, on(w, [0, 3, 3, 1], [2, 2])), [x([4, 3])], backend);
    // Sorting is piecewise linear: keep values further apart than the finite-difference step.
    const spaced = (shape: number[]) => {
      const n = size(shape);
      const perm = argsortRow(randFloats(n), false);
      return { shape, data: perm.map((v) => v * 0.1 - 1) };
    };
    await gradcheck((t) => T.sort(t, -1, true).values, [spaced([3, 5])], backend);
    await gradcheck((t) => T.topk(t, 2, 0).values, [spaced([4, 3])], backend);
    // One-hot and argsort give integers: nothing to differentiate.
    const leaf = floats([1, 2], [2]).requireGrad();
    expect(T.argsort(leaf).requiresGrad).toBe(false);
  });

  it('rejects bad arguments with clear errors before allocating', () => {
    const x = T.zeros([2, 3], { backend });
    const idx = ints([0, 1]);
    const fIdx = T.zeros([2, 1], { backend });
    const uIdx = T.zeros([2], { backend, dtype: 'u32' });
    const bool = T.zeros([2], { backend, dtype: 'u8' });
    const live = backend.liveBuffers();
    expect(() => T.gather(x, 1, fIdx)).toThrow(/gather: index must have dtype i32, got f32/);
    expect(() => T.gather(x, 1, idx)).toThrow(/gather: index \[2\] must have the rank of input \[2, 3\]/);
    expect(() => T.gather(x, 1, T.zeros([3, 1], { backend, dtype: 'i32' }))).toThrow(T.ShapeError);
    expect(() =>
      T.scatterAdd(x, 1, T.zeros([1, 2], { backend, dtype: 'i32' }), T.zeros([1, 1], { backend })),
    ).toThrow(/scatter_add: index \[1, 2\] must have the rank of src \[1, 1\] and no larger dims/);
    expect(() => T.scatterAdd(bool, 0, idx, bool)).toThrow(
      /scatter_add: input must have dtype f32 or i32 or u32, got u8/,
    );
    expect(() =>
      T.scatterAdd(x, 1, T.zeros([2, 1], { backend, dtype: 'i32' }), T.zeros([2], { backend })),
    ).toThrow(T.ShapeError);
    expect(() => T.indexSelect(x, 0, T.zeros([1, 1], { backend, dtype: 'i32' }))).toThrow(
      /index_select: index must have rank 1, got shape \[1, 1\]/,
    );
    expect(() => T.indexAdd(x, 0, idx, T.zeros([3, 3], { backend }))).toThrow(
      /index_add: src must have shape \[2, 3\], got \[3, 3\]/,
    );
    expect(() => T.indexAdd(x, 0, idx, T.zeros([2, 3], { backend, dtype: 'i32' }))).toThrow(T.DTypeError);
    expect(() => T.embedding(x, fIdx)).toThrow(/embedding: ids must have dtype i32, got f32/);
    expect(() => T.oneHot(idx, 0)).toThrow(/one_hot: classes must be a positive integer, got 0/);
    expect(() => T.oneHot(uIdx, 2)).toThrow(/one_hot: index must have dtype i32, got u32/);
    expect(() => T.argsort(T.zeros([], { backend }))).toThrow(
      /argsort: axis -1 is out of range for a tensor of rank 0/,
    );
    expect(() => T.topk(x, 4)).toThrow(/topk: k must be an integer in \[0, 3\]/);
    expect(() => T.gather(x, 2, idx)).toThrow(/gather: axis 2 is out of range for a tensor of rank 2/);
    // Nothing allocated: the throwing ops stopped before computing anything, even the pending
    // zeros made for them.
    expect(backend.liveBuffers()).toBe(live);
  });

  // The host backends (cpu, and wasm, which runs the CPU's indexing kernels) check as they run.
  if (backend.name !== 'webgpu') {
    it('throws IndexError synchronously for an out-of-range index, naming op, argument, index and size', () => {
      const x = T.zeros([2, 3], { backend }).realize();
      // [op on its inputs, the inputs (made before counting buffers), the message]
      const cases: [(...a: T.Tensor[]) => T.Tensor, T.Tensor[], RegExp][] = [
        [
          (i) => T.gather(x, 1, i),
          [ints([[0], [3]])],
          /gather: index 3 \(in argument 'index'\) is out of range for dim 1 of input of size 3/,
        ],
        [
          (i) => T.gather(x, 0, i),
          [ints([[-1, 0, 0]])],
          /gather: index -1 .* dim 0 of input of size 2; .*negative ones are not wrapped/,
        ],
        [
          (i, s) => T.scatterAdd(x, 1, i, s),
          [ints([[5]]), floats([1], [1, 1])],
          /scatter_add: index 5 .* dim 1 of input of size 3/,
        ],
        [(i) => T.indexSelect(x, 0, i), [ints([0, 2])], /index_select: index 2 .* dim 0 of input of size 2/],
        [
          (i, s) => T.indexAdd(x, 1, i, s),
          [ints([-2]), floats([1, 1], [2, 1])],
          /index_add: index -2 .* dim 1 of input of size 3/,
        ],
        [(i) => T.embedding(x, i), [ints([2])], /index_select: index 2 .* size 2/],
        [(i) => T.oneHot(i, 3), [ints([0, 3])], /one_hot: index 3 .* out of range for classes of size 3/],
      ];
      for (const [f, args, msg] of cases) {
        const live = backend.liveBuffers();
        expect(() => f(...args)).toThrow(T.IndexError);
        expect(() => f(...args)).toThrow(msg);
        expect(backend.liveBuffers()).toBe(live);
      }
    });
  } else {
    it('reports an out-of-range index at the next read with IndexError, then keeps working', async () => {
      const x = floats([1, 2, 3, 4, 5, 6], [2, 3]);
      const cases: [() => T.Tensor, RegExp][] = [
        [() => T.gather(x, 1, ints([[0], [3]])), /index 3 for a dimension of size 3/],
        [() => T.gather(x, 0, ints([[-1, 0, 0]])), /index -1 for a dimension of size 2/],
        [() => T.scatterAdd(x, 1, ints([[5]]), floats([1], [1, 1])), /index 5 for a dimension of size 3/],
        [() => T.indexSelect(x, 0, ints([0, 2])), /index 2 for a dimension of size 2/],
        [() => T.indexAdd(x, 1, ints([-2]), floats([1, 1], [2, 1])), /index -2 for a dimension of size 3/],
        [() => T.oneHot(ints([0, 7]), 3), /index 7 for a dimension of size 3/],
      ];
      for (const [f, msg] of cases) {
        const bad = f();
        await expect(bad.data()).rejects.toThrow(T.IndexError);
        // Reported once: the next op and read work.
        const good = T.gather(x, 1, ints([[2], [0]]));
        expect(await data(good)).toEqual([3, 4]);
        f();
        await expect(x.data()).rejects.toThrow(msg);
      }
      T.indexSelect(x, 0, ints([7]));
      await expect(backend.sync()).rejects.toThrow(T.IndexError);
      expect(await data(T.indexSelect(x, 1, ints([2, 2])))).toEqual([3, 3, 6, 6]);
    });
  }
});

/** Row-major data of the transpose (dims reversed) of a tensor of `shape`. */
function transposeData(v: number[], shape: number[]): number[] {
  const rev = [...shape].reverse();
  return Array.from({ length: v.length }, (_, i) => {
    const c = unravel(i, rev).reverse();
    return v[ravel(c, shape)];
  });
}
