// Host arrays of every kind become the dtype that holds their values; scalars mixed with integer
// tensors must be values of that dtype; integer arithmetic is defined where floats would be wrong.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends } from './helpers.js';

const list = await backends();

describe.each(list)('dtypes on %s', (_name, backend) => {
  const opts = { backend };

  it('typed arrays keep their values: floats as f32, signed as i32, unsigned as u32 or u8', async () => {
    const cases: [ArrayBufferView & ArrayLike<number>, T.DType, number[]][] = [
      [new Float64Array([1.5, 300, -2]), 'f32', [1.5, 300, -2]],
      [new Float32Array([0.25, -1e30]), 'f32', [0.25, Math.fround(-1e30)]],
      [new Int8Array([-128, 5]), 'i32', [-128, 5]],
      [new Int16Array([-5, 7]), 'i32', [-5, 7]],
      [new Int32Array([-(2 ** 31), 2 ** 31 - 1]), 'i32', [-(2 ** 31), 2 ** 31 - 1]],
      [new Uint16Array([65535, 1]), 'u32', [65535, 1]],
      [new Uint32Array([2 ** 32 - 1]), 'u32', [2 ** 32 - 1]],
      [new Uint8Array([255, 0]), 'u8', [255, 0]],
      [new Uint8ClampedArray([200]), 'u8', [200]],
    ];
    for (const [data, dtype, values] of cases) {
      const t = T.tensor(data as T.HostArray, opts);
      expect([data.constructor.name, t.dtype]).toEqual([data.constructor.name, dtype]);
      expect([...(await t.data())]).toEqual(values);
    }
    // An explicit dtype converts: floats truncate toward zero.
    expect([...(await T.tensor(new Float64Array([2.7, -2.7]), { ...opts, dtype: 'i32' }).data())]).toEqual([
      2, -2,
    ]);
    expect([...(await T.tensor(new Int16Array([-3]), { ...opts, dtype: 'f32' }).data())]).toEqual([-3]);
  });

  it('refuses views and dtypes it cannot hold, naming them, and makes nothing', () => {
    const live = T.memory(backend).liveTensors;
    expect(() => T.tensor(new BigInt64Array([1n]) as unknown as T.HostArray, opts)).toThrow(T.DTypeError);
    expect(() => T.tensor(new BigInt64Array([1n]) as unknown as T.HostArray, opts)).toThrow(
      /tensor: cannot make a tensor from a BigInt64Array/,
    );
    expect(() => T.tensor(new DataView(new ArrayBuffer(4)) as unknown as T.HostArray, opts)).toThrow(
      /DataView/,
    );
    const f64 = { ...opts, dtype: 'f64' as T.DType };
    expect(() => T.tensor([1, 2], f64)).toThrow(T.DTypeError);
    expect(() => T.tensor([1, 2], f64)).toThrow(
      /tensor: dtype must be one of f32, f16, i32, u32, u8, bool, got "f64"/,
    );
    expect(() => T.zeros([2], f64)).toThrow(/full: dtype must be one of .*got "f64"/);
    expect(() => T.arange(3, undefined, 1, f64)).toThrow(/arange: dtype must be one of .*got "f64"/);
    expect(T.memory(backend).liveTensors).toBe(live);
  });

  it('a number promotes an integer tensor to f32 when it is not an integer, else must fit the dtype', async () => {
    const i = T.tensor([1, 2], { ...opts, dtype: 'i32' });
    const u8 = T.tensor([1], { ...opts, dtype: 'u8' });
    const u32 = T.tensor([1], { ...opts, dtype: 'u32' });
    const cond = T.gt(i, 1);
    const live = T.memory(backend);
    expect(() => T.add(i, 2 ** 31)).toThrow(T.DTypeError);
    expect(() => T.add(i, 2 ** 31)).toThrow(
      /add: the scalar 2147483648 is not a i32 value \(an integer in \[-2147483648, 2147483647\]\)/,
    );
    expect(() => T.add(u8, 300)).toThrow(/300 is not a u8 value/);
    expect(() => T.sub(u32, -1)).toThrow(/-1 is not a u32 value/);
    expect(() => T.maskedFill(i, cond, 0.5)).toThrow(/maskedFill: the scalar 0.5 is not a i32 value/);
    expect(T.memory(backend)).toEqual(live);
    expect([...(await T.mul(i, 3).data())]).toEqual([3, 6]);
    // A number that is not an integer (NaN and ±inf included) makes the result f32, as PyTorch's float scalars.
    const half = T.add(i, 0.5);
    expect(half.dtype).toBe('f32');
    expect([...(await half.data())]).toEqual([1.5, 2.5]);
    expect([...(await T.add(i, Number.NaN).data())].every(Number.isNaN)).toBe(true);
    expect([...(await T.where(cond, 0.5, i).data())]).toEqual([1, 0.5]);
    expect([...(await T.add(T.tensor([1], opts), 0.5).data())]).toEqual([1.5]);
  });

  it('integer division by zero gives 0, as NumPy; products wrap like the hardware', async () => {
    const a = T.tensor([5, -5, 0, 7], { ...opts, dtype: 'i32' });
    const z = T.tensor([0, 0, 0, 2], { ...opts, dtype: 'i32' });
    expect([...(await T.div(a, z).data())]).toEqual([0, 0, 0, 3]);
    const u = T.tensor([5, 9], { ...opts, dtype: 'u32' });
    expect([...(await T.div(u, T.tensor([0, 2], { ...opts, dtype: 'u32' })).data())]).toEqual([0, 4]);
    const big = T.tensor([2 ** 31 - 1, -123456789], { ...opts, dtype: 'i32' });
    expect([...(await T.mul(big, big).data())]).toEqual([
      Math.imul(2 ** 31 - 1, 2 ** 31 - 1),
      Math.imul(-123456789, -123456789),
    ]);
  });

  it('the mean and variance of integers are f32 (as NumPy; PyTorch refuses them)', async () => {
    const i = T.tensor([1, 2, 4], { ...opts, dtype: 'i32' });
    const m = T.mean(i);
    expect(m.dtype).toBe('f32');
    expect(await m.item()).toBeCloseTo(7 / 3, 6);
    expect(await T.variance(i).item()).toBeCloseTo(7 / 3, 5);
    expect(await T.std(T.tensor([3, 3], { ...opts, dtype: 'u32' })).item()).toBe(0);
  });
});
