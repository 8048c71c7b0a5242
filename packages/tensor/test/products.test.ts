// prod and cumprod (compositions with their own backward rules) against finite differences, and
// the integer conventions of the products, fmod and remainder that PyTorch has no fixture for
// (it widens integer products to int64 and raises on integer division by zero).
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, gradcheck, randomInput, rng } from './helpers.js';

const list = await backends();

describe.each(list)('products, fmod and remainder on %s', (_name, backend) => {
  const r = rng(21);
  // Values in [0.5, 1.5] keep products of a dozen factors near 1, away from zero.
  const input = (shape: number[]) => {
    const x = randomInput(r, shape, 0.5, 1.5);
    x.data = x.data.map((v, i) => (i % 3 === 1 ? -v : v));
    return x;
  };

  it.each([
    ['prod of all', [3, 4], (x: T.Tensor) => T.prod(x)],
    ['prod along dim 1', [3, 5], (x: T.Tensor) => T.prod(x, 1)],
    ['prod along dim 0, keepdim', [4, 3], (x: T.Tensor) => T.prod(x, 0, true)],
    ['prod along the middle of three dims', [2, 7, 3], (x: T.Tensor) => T.prod(x, -2)],
    ['cumprod along dim 1', [3, 6], (x: T.Tensor) => T.cumprod(x, 1)],
    ['cumprod along dim 0 of three', [9, 2, 2], (x: T.Tensor) => T.cumprod(x, 0)],
  ] as const)('the gradient of %s agrees with finite differences', async (_what, shape, f) => {
    await gradcheck(f, [input([...shape])], backend);
  });

  it('integer products wrap modulo 2^32, in any order', async () => {
    const x = T.tensor([65536, 65536, 3, -5, 100000, 100000, -1, 3], {
      shape: [2, 4],
      dtype: 'i32',
      backend,
    });
    // 2¹⁶·2¹⁶ = 2³² wraps to 0; 10¹⁰ to 1410065408, then −1 and 3 times that to 64771072.
    expect(Array.from(await T.prod(x, 1).data())).toEqual([0, 64771072]);
    expect(Array.from(await T.cumprod(x, 1).data())).toEqual([
      65536, 0, 0, 0, 100000, 1410065408, -1410065408, 64771072,
    ]);
    const u = T.tensor([4294967295, 2, 3], { dtype: 'u32', backend });
    expect(await T.prod(u).item()).toBe(4294967290); // (2³² − 1)·6 mod 2³²
  });

  it('fmod is exact: random float pairs of any exponents agree bit for bit with C (JavaScript %)', async () => {
    const n = 20_000;
    const bits = new Uint32Array(2 * n);
    for (let i = 0; i < bits.length; i++) bits[i] = Math.floor(r() * 2 ** 32);
    const floats = new Float32Array(bits.buffer);
    // Half the divisors near the dividends' scale too, so that small quotients are common.
    for (let i = 0; i < n; i += 2) floats[n + i] = Math.fround(floats[i] / (1 + 7 * r()));
    const [a, b] = [floats.slice(0, n), floats.slice(n)];
    const got = await T.fmod(T.tensor(a, { backend }), T.tensor(b, { backend })).data();
    const tally = { normal: 0, subnormal: 0, zero: 0, nan: 0, mismatched: 0 };
    for (let i = 0; i < n; i++) {
      const want = Math.fround(a[i] % b[i]);
      // WebGPU may flush subnormal inputs and results to zero (WGSL allows it).
      const flushed =
        backend.name === 'webgpu' &&
        (Math.abs(want) < 1.1754943508222875e-38 ||
          Math.abs(b[i]) < 1.1754943508222875e-38 ||
          Math.abs(a[i]) < 1.1754943508222875e-38);
      if (Number.isNaN(want)) tally.nan++;
      else if (want === 0) tally.zero++;
      else if (Math.abs(want) < 1.1754943508222875e-38) tally.subnormal++;
      else tally.normal++;
      if (!Object.is(got[i], want) && !flushed) tally.mismatched++;
    }
    expect(tally.mismatched).toBe(0);
    expect(Math.min(tally.normal, tally.nan)).toBeGreaterThan(100);
  });

  it('integer fmod and remainder by zero give 0, as integer division does', async () => {
    const a = T.tensor([7, -7, 7, -7, 5, -2147483648], { dtype: 'i32', backend });
    const b = T.tensor([3, 3, -3, 0, 0, -1], { dtype: 'i32', backend });
    expect(Array.from(await T.fmod(a, b).data())).toEqual([1, -1, 1, 0, 0, 0]);
    expect(Array.from(await T.remainder(a, b).data())).toEqual([1, 2, -2, 0, 0, 0]);
    const u = T.tensor([7, 9, 255], { dtype: 'u8', backend });
    expect(Array.from(await T.remainder(u, T.tensor([4, 0, 16], { dtype: 'u8', backend })).data())).toEqual([
      3, 0, 15,
    ]);
  });

  it('names the argument and the expected and actual values of bad input', async () => {
    const b = T.ones([2], { dtype: 'u8', backend });
    expect(() => T.prod(b)).toThrow(/prod: input must have dtype f32 or i32 or u32, got u8/);
    expect(() => T.cumprod(b, 0)).toThrow(/cumprod: input must have dtype/);
    expect(() => T.cumprod(T.ones([2, 2], { backend }), 2)).toThrow(/cumprod/);
    expect(() => T.fmod(T.ones([2], { backend }), T.ones([3], { backend }))).toThrow(
      /fmod: shapes \[2\] and \[3\]/,
    );
    expect(() =>
      T.remainder(T.ones([2], { dtype: 'i32', backend }), T.ones([2], { dtype: 'u32', backend })),
    ).toThrow(/remainder: i32 and u32 have no common dtype/);
    // A float number promotes an integer tensor to f32, as PyTorch's float scalars do.
    const r = T.remainder(T.tensor([3, -3], { dtype: 'i32', backend }), 2.5);
    expect(r.dtype).toBe('f32');
    expect(Array.from(await r.data())).toEqual([0.5, 2]);
  });
});
