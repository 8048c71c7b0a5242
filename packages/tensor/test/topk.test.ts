// topk's own order (PyTorch leaves the order of ties unspecified; its values are checked against
// PyTorch in special-values and composites): against a stable sort of each row, on random rows
// full of ties, NaN, ±inf and −0, along any axis, for k on both sides of WebGPU's switch from
// masked max/arg-max rounds to the sort, on rows past the sort's block and past a capped loop
// budget (where the rounds' reductions split their rows), with its gradient. WebGPU switches at
// k = 16 (src/webgpu/topk.ts).
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, gpuBackend, rng } from './helpers.js';

const gpu = await gpuBackend();
// 60 iterations: row reductions cut rows into segments (see limits.test.ts).
const capped = gpu ? await T.createWebGPUBackend({ loopBudget: 60 }) : undefined;
afterAll(() => capped?.ctx.destroy());
const list: [string, T.Backend][] = [
  ...(await backends()),
  ...(capped ? [['webgpu (loop budget 60)', capped] as [string, T.Backend]] : []),
];

/** The expected indices: a stable sort of positions, NaN largest, −0 equal to +0. */
function reference(row: number[], k: number, largest: boolean): number[] {
  const rank = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);
  const order = row.map((_, j) => j);
  order.sort((p, q) => {
    const [a, b] = [row[p], row[q]];
    const nanFirst = Number(Number.isNaN(b)) - Number(Number.isNaN(a));
    if (nanFirst !== 0) return largest ? nanFirst : -nanFirst;
    const c = rank(a) === rank(b) ? 0 : rank(a) < rank(b) ? -1 : 1;
    return largest ? -c : c;
  });
  return order.slice(0, k);
}

/** The rows of `data` (of `shape`) along `axis`, as arrays of their elements. */
function rowsOf(data: ArrayLike<number>, shape: number[], axis: number): number[][] {
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  const rows: number[][] = [];
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++)
      rows.push(Array.from({ length: n }, (_, j) => data[(o * n + j) * inner + i]));
  return rows;
}

const SPECIAL = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, 0];

describe.each(list)('topk on %s', (_name, backend) => {
  it('picks what a stable sort picks, over random rows with ties and special values', async () => {
    const r = rng(11);
    const tally = { cases: 0, rounds: 0, sorted: 0, withTies: 0, withNaN: 0, ints: 0 };
    for (let c = 0; c < 40; c++) {
      const rank = 1 + Math.floor(r() * 3);
      const shape = Array.from({ length: rank }, () => 1 + Math.floor(r() * 9));
      shape[Math.floor(r() * rank)] = 1 + Math.floor(r() * 40);
      const axis = Math.floor(r() * rank);
      const n = shape[axis];
      const k = Math.floor(r() * (n + 1));
      const largest = r() < 0.5;
      const dtype = c % 5 === 4 ? 'i32' : 'f32';
      const size = shape.reduce((a, b) => a * b, 1);
      // Values from a few levels, so most rows hold ties.
      const data = Array.from({ length: size }, () => {
        if (dtype === 'f32' && r() < 0.2) return SPECIAL[Math.floor(r() * SPECIAL.length)];
        return Math.floor(r() * 5) - 2;
      });
      const x = T.tensor(data, { shape, dtype, backend });
      const { values, indices } = T.topk(x, k, axis, largest);
      expect(indices.shape).toEqual(shape.map((d, i) => (i === axis ? k : d)));
      const got = rowsOf(await indices.data(), indices.shape as number[], axis);
      const gotValues = rowsOf(await values.data(), values.shape as number[], axis);
      const rows = rowsOf(x.dtype === 'i32' ? await x.data() : Float32Array.from(data), shape, axis);
      rows.forEach((row, i) => {
        const want = reference(row, k, largest);
        expect(got[i]).toEqual(want);
        expect(gotValues[i].map((v) => (Object.is(v, -0) ? 0 : v))).toEqual(
          want.map((j) => (Object.is(row[j], -0) ? 0 : row[j])),
        );
        if (new Set(row.map((v) => (Object.is(v, -0) ? 0 : v))).size < row.length) tally.withTies++;
        if (row.some(Number.isNaN)) tally.withNaN++;
      });
      tally.cases++;
      tally[k > 16 ? 'sorted' : 'rounds']++;
      if (dtype === 'i32') tally.ints++;
      for (const t of [x, values, indices]) t.dispose();
    }
    // Both paths of the WebGPU kernel, ties, NaN and integers each ran.
    expect(tally.cases).toBe(40);
    expect(Math.min(tally.rounds, tally.sorted, tally.withTies, tally.withNaN, tally.ints)).toBeGreaterThan(
      3,
    );
  });

  it('selects from long rows, with the best elements anywhere in them', async () => {
    // 25,000 elements: past the sort's 2048-element blocks, and past a capped loop budget's segments.
    const n = 25_000;
    const r = rng(4);
    const data = Array.from({ length: 2 * n }, () => Math.floor(r() * 1000));
    data[24_999] = 5000; // last of row 0
    data[n + 3] = 5000; // near the start of row 1, tied with its last
    data[2 * n - 1] = 5000;
    const x = T.tensor(data, { shape: [2, n], backend });
    for (const k of [3, 20]) {
      const got = await T.topk(x, k, 1).indices.data();
      const want = [0, 1].flatMap((i) => reference(data.slice(i * n, (i + 1) * n), k, true));
      expect(Array.from(got)).toEqual(want);
    }
    x.dispose();
  });

  it('k = 0 and k = n, and the gradient goes to the chosen elements', async () => {
    const x = T.tensor([3, 1, 4, 1, 5, 9, 2, 6], { shape: [2, 4], backend }).requireGrad();
    expect(T.topk(x, 0, 1).values.shape).toEqual([2, 0]);
    expect(Array.from(await T.topk(x, 4, 1, false).indices.data())).toEqual([1, 3, 0, 2, 2, 0, 3, 1]);
    const { values } = T.topk(x, 2, 1);
    T.sum(T.mul(values, T.tensor([10, 20, 30, 40], { shape: [2, 2], backend }))).backward();
    // Row 0 picks 4 (index 2) then 3 (index 0); row 1 picks 9 (index 1) then 6 (index 3).
    expect(Array.from(await x.grad!.data())).toEqual([20, 0, 10, 0, 0, 30, 0, 40]);
  });

  it('names the argument and the expected and actual values of bad input', () => {
    const x = T.ones([2, 3], { backend });
    expect(() => T.topk(x, 4)).toThrow(/topk: k must be an integer in \[0, 3\] for dim 1 of size 3, got 4/);
    expect(() => T.topk(x, -1, 0)).toThrow(/k must be an integer in \[0, 2\] for dim 0 of size 2, got -1/);
    expect(() => T.topk(x, 1.5)).toThrow(/got 1.5/);
    expect(() => T.topk(x, 1, 2)).toThrow(/topk/);
    x.dispose();
  });
});
