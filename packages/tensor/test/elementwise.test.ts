import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, randomShape, randomTensor, rng } from './helpers.js';

const list = await backends();

describe.each(list)('elementwise on %s', (_name, backend) => {
  it('unary ops match the CPU reference on random shapes', async () => {
    const r = rng(1);
    for (const op of T.UNARY_OPS) {
      const shape = randomShape(r, 1 + Math.floor(r() * 4), 70);
      const domain = op === 'log' || op === 'sqrt' || op === 'rsqrt' ? { lo: 0.1, hi: 4 } : { lo: -4, hi: 4 };
      const x = randomTensor(r, shape, backend, domain);
      const xc = await x.to(T.cpuBackend);
      const got = await (T as unknown as Record<string, (t: T.Tensor) => T.Tensor>)[op](x).data();
      const want = await (T as unknown as Record<string, (t: T.Tensor) => T.Tensor>)[op](xc).data();
      expectClose(got, want, 1e-4, 1e-5, op);
    }
  });

  it('binary ops broadcast like NumPy', async () => {
    const r = rng(2);
    for (const op of T.BINARY_OPS) {
      const a = randomTensor(r, [3, 1, 5], backend, { lo: 0.5, hi: 2 });
      const b = randomTensor(r, [4, 1], backend, { lo: 0.5, hi: 2 });
      const out = (T as unknown as Record<string, (x: T.Tensor, y: T.Tensor) => T.Tensor>)[op](a, b);
      expect(out.shape).toEqual([3, 4, 5]);
      const av = await a.data();
      const bv = await b.data();
      const f: Record<string, (x: number, y: number) => number> = {
        add: (x, y) => x + y,
        sub: (x, y) => x - y,
        mul: (x, y) => x * y,
        div: (x, y) => x / y,
        pow: Math.pow,
        maximum: Math.max,
        minimum: Math.min,
        fmod: (x, y) => x % y,
        remainder: (x, y) => ((x % y) + y) % y,
      };
      const want: number[] = [];
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 4; j++) for (let k = 0; k < 5; k++) want.push(f[op](av[i * 5 + k], bv[j]));
      expectClose(await out.data(), want, 1e-5, 1e-6, op);
    }
  });

  it('reads strided views (transposed, sliced, expanded) without copying them first', async () => {
    const r = rng(5);
    const a = randomTensor(r, [67, 33], backend);
    const b = randomTensor(r, [33, 67], backend);
    const at = T.transpose(a);
    const bs = T.slice(b, [
      { start: 1, step: 3 },
      { end: -2, step: 2 },
    ]);
    const as = T.slice(at, [
      { start: 1, step: 3 },
      { end: -2, step: 2 },
    ]);
    const got = await T.add(as, bs).data();
    const ac = await as.to(T.cpuBackend);
    const bc = await bs.to(T.cpuBackend);
    expectClose(got, await T.add(ac, bc).data(), 0, 0);
    const e = T.expand(T.slice(a, [{ end: 1 }]), [5, 67, 33]);
    expectClose(await T.mul(e, 2).data(), await T.mul(await e.to(T.cpuBackend), 2).data(), 0, 0);
  });

  it('handles empty tensors and more elements than one dispatch dimension holds', async () => {
    const empty = T.zeros([0, 3], { backend });
    expect((await T.exp(empty).data()).length).toBe(0);
    const big = T.full([70_000 * 4], 1.5, { backend });
    const out = await T.mul(big, 2).data();
    expect(out.length).toBe(280_000);
    expect(out[279_999]).toBe(3);
  });

  it('comparisons and where', async () => {
    const a = T.tensor([1, 2, 3, 4], { backend });
    const m = T.gt(a, 2);
    expect(m.dtype).toBe('bool');
    expect([...(await m.data())]).toEqual([0, 0, 1, 1]);
    expect([...(await T.where(m, a, -1).data())]).toEqual([-1, -1, 3, 4]);
    expect([...(await T.maskedFill(a, m, 0).data())]).toEqual([1, 2, 0, 0]);
  });

  it('casts between dtypes', async () => {
    const a = T.tensor([-1.5, 0.5, 2.7, 300], { backend });
    expect([...(await T.cast(a, 'i32').data())]).toEqual([-1, 0, 2, 300]);
    expect([...(await T.cast(a, 'u8').data())]).toEqual([255, 0, 2, 44]);
    const i = T.tensor([7, -3], { dtype: 'i32', backend });
    expect([...(await T.div(i, 2).data())]).toEqual([3, -1]);
    expect([...(await T.cast(i, 'f32').data())]).toEqual([7, -3]);
  });

  it('creation: full, arange, rand and randn', async () => {
    expect([...(await T.arange(5, undefined, 1, { backend }).data())]).toEqual([0, 1, 2, 3, 4]);
    expect([...(await T.arange(0, 1, 0.25, { backend }).data())]).toEqual([0, 0.25, 0.5, 0.75]);
    expect([...(await T.full([2], 3, { dtype: 'i32', backend }).data())]).toEqual([3, 3]);
    const g1 = new T.Generator(42);
    const g2 = new T.Generator(42);
    const u = await T.rand([1000], { generator: g1, backend }).data();
    const uc = await T.rand([1000], { generator: g2, backend: T.cpuBackend }).data();
    expect([...u]).toEqual([...uc]);
    const mean = Array.from(u).reduce((s, v) => s + v, 0) / u.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    const n = await T.randn([4000], { generator: g1, backend }).data();
    expectClose(n, await T.randn([4000], { generator: g2, backend: T.cpuBackend }).data(), 1e-4, 1e-5);
    const nm = Array.from(n).reduce((s, v) => s + v, 0) / n.length;
    const nv = Array.from(n).reduce((s, v) => s + (v - nm) ** 2, 0) / n.length;
    expect(Math.abs(nm)).toBeLessThan(0.06);
    expect(Math.abs(nv - 1)).toBeLessThan(0.08);
  });
});
