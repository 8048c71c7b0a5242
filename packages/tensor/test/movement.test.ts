import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, randomShape, randomTensor, rng } from './helpers.js';

const list = await backends();

describe.each(list)('movement ops on %s', (_name, backend) => {
  const r = rng(41);
  const same = async (got: T.Tensor, want: T.Tensor, what: string) => {
    expect(got.shape).toEqual(want.shape);
    expectClose(await got.data(), await want.data(), 0, 0, what);
  };

  it('unslice (the gradient of slice) matches the CPU reference over random starts, steps, views and dtypes', async () => {
    for (let trial = 0; trial < 12; trial++) {
      const rank = 1 + (trial % 4);
      const shape = randomShape(r, rank, 9);
      const steps = shape.map(() => 1 + Math.floor(r() * 3));
      const starts = shape.map(() => Math.floor(r() * 3));
      const out = shape.map((d, i) => starts[i] + (d - 1) * steps[i] + 1 + Math.floor(r() * 3));
      const dtype = (['f32', 'i32', 'u8'] as const)[trial % 3];
      const values = Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => Math.floor(r() * 200) + 1,
      );
      const make = (b: T.Backend) => {
        const t = T.tensor(values, { shape: [...shape].reverse(), dtype, backend: b });
        // A transposed (strided) input.
        return T.permute(
          t,
          shape.map((_, i) => rank - 1 - i),
        );
      };
      const params = { starts, steps, shape: out };
      await same(
        T.apply('unslice', [make(backend)], params),
        T.apply('unslice', [make(T.cpuBackend)], params),
        `unslice ${dtype} [${shape}] into [${out}]`,
      );
    }
  });

  it('concat, stack, pad, clone and strided slices match the CPU reference on random shapes', async () => {
    for (let trial = 0; trial < 6; trial++) {
      const rank = 1 + (trial % 4);
      const shape = randomShape(r, rank, 70);
      const axis = Math.floor(r() * rank);
      const others = [1, 5, 66].map((d) => shape.map((s, i) => (i === axis ? d : s)));
      const xs = [shape, ...others].map((s) => randomTensor(r, s, backend));
      const cs = await Promise.all(xs.map((x) => x.to(T.cpuBackend)));
      await same(T.concat(xs, axis), T.concat(cs, axis), `concat ${shape} @${axis}`);
      await same(T.stack([xs[0], xs[0]], axis), T.stack([cs[0], cs[0]], axis), 'stack');
      const pads = shape.map((_, i) => [i % 2, (i + 1) % 3] as [number, number]);
      await same(T.pad(xs[0], pads, 2.5), T.pad(cs[0], pads, 2.5), 'pad');
      const specs = shape.map((s) => ({ start: Math.floor(s / 3), step: 1 + (s % 3) }));
      await same(T.clone(T.slice(xs[0], specs)), T.clone(T.slice(cs[0], specs)), 'slice');
      const perm = [...Array(rank).keys()].reverse();
      await same(T.contiguous(T.permute(xs[0], perm)), T.contiguous(T.permute(cs[0], perm)), 'permute');
    }
  });

  it('reshape copies only non-contiguous views and keeps values in row-major order', async () => {
    const x = T.arange(6, undefined, 1, { backend, dtype: 'f32' });
    const m = T.reshape(x, [2, 3]);
    expect(m.storage).toBe(x.storage);
    const t = T.transpose(m);
    const flat = T.reshape(t, [-1]);
    expect(flat.storage).not.toBe(x.storage);
    expect([...(await flat.data())]).toEqual([0, 3, 1, 4, 2, 5]);
    expect(T.split(m, 2, 1).map((p) => p.shape)).toEqual([
      [2, 2],
      [2, 1],
    ]);
    expect(T.squeeze(T.unsqueeze(m, 0)).shape).toEqual([2, 3]);
    expect(T.flatten(T.zeros([2, 3, 4], { backend }), 1).shape).toEqual([2, 12]);
  });

  it('moves tensors between backends', async () => {
    const x = T.tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { backend, dtype: 'i32' },
    );
    const y = await x.to(T.cpuBackend);
    expect(y.backend.name).toBe('cpu');
    expect(y.dtype).toBe('i32');
    expect(await y.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });
});
