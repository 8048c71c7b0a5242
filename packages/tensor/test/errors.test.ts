// Bad input gets an error naming the op, the argument, what was expected and what came — and changes nothing.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, gpuBackend } from './helpers.js';

const list = await backends();

describe.each(list)('bad input on %s', (_name, backend) => {
  const opts = { backend };
  it('shape mismatch names both shapes', () => {
    const a = T.zeros([2, 3], opts);
    const b = T.zeros([4], opts);
    expect(() => T.add(a, b)).toThrow(T.ShapeError);
    expect(() => T.add(a, b)).toThrow(/add: shapes \[2, 3\] and \[4\] do not broadcast/);
    expect(() => T.reshape(a, [4, 2])).toThrow(/cannot view 6 elements of shape \[2, 3\] as \[4, 2\]/);
    expect(() => T.concat([a, b])).toThrow(T.ShapeError);
    expect(() => T.sum(a, 2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
  });
  it('dtypes with no common dtype name both', () => {
    const a = T.zeros([2], opts);
    const i = T.zeros([2], { ...opts, dtype: 'i32' });
    const u = T.zeros([2], { ...opts, dtype: 'u32' });
    expect(() => T.add(u, i)).toThrow(T.DTypeError);
    expect(() => T.add(u, i)).toThrow(/add: u32 and i32 have no common dtype/);
    expect(() => T.exp(i)).toThrow(/exp: input must have dtype f32 or f16, got i32/);
    expect(() => T.where(a, a, a)).toThrow(/where: cond must have dtype bool or u8, got f32/);
  });
  it('a disposed tensor is named', async () => {
    const a = T.ones([2], opts);
    a.dispose();
    expect(() => T.neg(a)).toThrow(T.DisposedError);
    expect(() => T.neg(a)).toThrow(/neg \(input 0\): tensor #\d+ \(f32\[2\]\) was disposed/);
    await expect(a.data()).rejects.toThrow(T.DisposedError);
  });
  it('an out-of-range index is named', () => {
    const a = T.zeros([3, 2], opts);
    expect(() => T.slice(a, [5])).toThrow(/slice: index 5 is out of range for dim 0 of size 3/);
    expect(() => T.slice(a, [{ step: 0 }])).toThrow(/step must be a positive integer, got 0/);
  });
  it('a failed op leaves live memory unchanged', () => {
    const a = T.zeros([2, 3], opts);
    const b = T.zeros([4], opts);
    const before = T.memory(backend);
    expect(() => T.mul(a, b)).toThrow();
    expect(() => T.tensor([1, 2, 3], { ...opts, shape: [2, 2] })).toThrow(/needs 4 elements, got 3/);
    expect(T.memory(backend)).toEqual(before);
  });
});

describe('mixing backends', async () => {
  const gpu = await gpuBackend();
  it.skipIf(!gpu)('names both backends', () => {
    const a = T.zeros([2], { backend: T.cpuBackend });
    const b = T.zeros([2], { backend: gpu! });
    expect(() => T.add(a, b)).toThrow(T.BackendError);
    expect(() => T.add(a, b)).toThrow(/input 0 is on cpu and input 1 is on webgpu/);
  });
});
