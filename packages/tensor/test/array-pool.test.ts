// Freed host arrays are reused by later allocations: zeroed, of the right type, within the cap.
import { describe, expect, it } from 'vitest';
import { keptArrayBytes, recycleArray, releaseKeptArrays, takeArray } from '../src/cpu/array-pool.js';
import * as T from '../src/index.js';
import { backends } from './helpers.js';

describe('array pool', () => {
  it('gives a freed array back zeroed, by dtype and length', () => {
    releaseKeptArrays();
    const a = takeArray('f32', 1 << 16) as Float32Array;
    a.fill(7);
    recycleArray(a);
    expect(keptArrayBytes()).toBe(a.byteLength);
    expect(takeArray('i32', 1 << 16)).not.toBe(a); // another dtype: a new array
    expect(takeArray('f32', (1 << 16) + 1)).not.toBe(a); // another length: a new array
    const b = takeArray('f32', 1 << 16);
    expect(b).toBe(a);
    expect(b.every((v) => v === 0)).toBe(true);
    expect(keptArrayBytes()).toBe(0);
  });

  it('keeps no small arrays, no views of larger buffers, and stays under its cap', () => {
    releaseKeptArrays();
    recycleArray(new Float32Array(16));
    recycleArray(new Float32Array(1 << 20).subarray(0, 1 << 18));
    expect(keptArrayBytes()).toBe(0);
    const big = 32 << 20;
    for (let i = 0; i < 12; i++) recycleArray(new Uint8Array(big));
    // 12 × 32 MB freed, at most 256 MB kept: the oldest went first.
    expect(keptArrayBytes()).toBe(8 * big);
    releaseKeptArrays();
    expect(keptArrayBytes()).toBe(0);
  });

  it('evicts past a list that reuse emptied', () => {
    releaseKeptArrays();
    const small = 1 << 16;
    recycleArray(new Uint8Array(small));
    takeArray('u8', small); // empties the oldest list
    const big = 128 << 20;
    recycleArray(new Uint8Array(big));
    recycleArray(new Uint8Array(big));
    recycleArray(new Uint8Array(big)); // over the cap: the oldest big array goes
    expect(keptArrayBytes()).toBe(2 * big);
    releaseKeptArrays();
  });
});

const host = (await backends()).filter(([name]) => name !== 'webgpu');

describe.each(host)('reused arrays on %s', (_name, backend) => {
  it('a tensor keeps its values while same-size tensors are freed and allocated around it', async () => {
    const n = 1 << 15;
    const opts = { backend };
    const base = T.arange(0, n, 1, opts);
    const view = T.slice(T.reshape(base, [8, n / 8]), [{ start: 2, end: 6 }]); // a view of base's storage
    const kept = T.mul(base, 3);
    await kept.data();
    base.dispose(); // the view's storage must stay
    let churn = 0;
    for (let round = 0; round < 6; round++) {
      const junk = [T.full([n], -1, opts), T.full([n / 2], -2, opts), T.exp(T.full([n], 1, opts))];
      for (const j of junk) churn += (await j.data())[0] < 0 ? 1 : 0;
      for (const j of junk) j.dispose();
    }
    expect(churn).toBe(12); // 2 negative arrays a round, each allocated and freed
    const k = await kept.data();
    const v = await view.data();
    expect(k[n - 1]).toBe(3 * (n - 1));
    expect(Array.from(k.subarray(0, 4))).toEqual([0, 3, 6, 9]);
    expect(v[0]).toBe(2 * (n / 8));
    expect(v[v.length - 1]).toBe(6 * (n / 8) - 1);
    for (const t of [view, kept]) t.dispose();
  });
});
