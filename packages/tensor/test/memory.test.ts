// Memory ownership: training-like loops leave the live buffer and tensor counts flat.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends } from './helpers.js';

const list = await backends();

describe.each(list)('memory on %s', (_name, backend) => {
  it('2,000 training-like steps keep the live buffer count flat', async () => {
    const opts = { backend, generator: new T.Generator(1) };
    let w1 = T.mul(T.randn([8, 16], opts), 0.3).requireGrad();
    let w2 = T.mul(T.randn([16, 4], opts), 0.3).requireGrad();
    const x = T.randn([32, 8], opts);
    const y = T.randn([32, 4], opts);
    const counts: T.MemoryInfo[] = [];
    let first = 0;
    let last = 0;
    for (let step = 0; step < 2000; step++) {
      const [n1, n2, loss] = T.tidy(() => {
        const h = T.gelu(T.matmul(x, w1));
        const out = T.softmax(T.matmul(h, w2), -1);
        const l = T.mean(T.square(T.sub(out, y)));
        l.backward();
        return T.noGrad(() => [T.sub(w1, T.mul(w1.grad!, 0.5)), T.sub(w2, T.mul(w2.grad!, 0.5)), l]);
      });
      w1.dispose();
      w2.dispose();
      w1 = n1.requireGrad();
      w2 = n2.requireGrad();
      if (step === 0) first = await loss.item();
      if (step === 1999) last = await loss.item();
      loss.dispose();
      if (step % 250 === 249) counts.push(T.memory(backend));
    }
    expect(last).toBeLessThan(first);
    // After warm-up every sample is identical: nothing accumulates step over step.
    for (const c of counts) expect(c).toEqual(counts[0]);
    for (const t of [w1, w2, x, y]) t.dispose();
  });

  it('tidy frees intermediates, keeps returned and kept tensors, and works async', async () => {
    const before = T.memory(backend);
    let kept: T.Tensor | undefined;
    const out = T.tidy(() => {
      const a = T.ones([4], { backend });
      kept = T.keep(T.add(a, 1));
      return { result: T.mul(a, 3) };
    });
    expect(T.memory(backend).liveTensors).toBe(before.liveTensors + 2);
    const viaAsync = await T.tidy(async () => {
      const a = T.ones([2], { backend });
      await a.data();
      return T.add(a, a);
    });
    expect([...(await viaAsync.data())]).toEqual([2, 2]);
    for (const t of [out.result, kept!, viaAsync]) t.dispose();
    expect(T.memory(backend)).toEqual(before);
  });

  it('using disposes at the end of the block; views share storage until the last is gone', async () => {
    const before = T.memory(backend);
    {
      using a = T.arange(6, undefined, 1, { backend, dtype: 'f32' });
      using v = T.reshape(a, [2, 3]);
      using s = T.slice(v, [null, { start: 1 }]);
      expect([...(await s.data())]).toEqual([1, 2, 4, 5]);
      expect(T.memory(backend).liveBuffers).toBe(before.liveBuffers + 1);
    }
    expect(T.memory(backend)).toEqual(before);
  });

  it('a thrown op inside tidy still frees what the scope made', () => {
    const before = T.memory(backend);
    expect(() =>
      T.tidy(() => {
        const a = T.ones([3], { backend });
        T.add(a, T.ones([2], { backend }));
      }),
    ).toThrow(T.ShapeError);
    expect(T.memory(backend)).toEqual(before);
  });
});

describe.each(list)('memory of functional gradients on %s', (_name, backend) => {
  it('valueAndGrad inside tidy leaves nothing behind', () => {
    // Realized first: a pending `ones` holds no buffer until the first step needs it.
    const w = T.ones([3, 3], { backend }).realize();
    const live = () => {
      const { liveTensors, liveBuffers, liveBytes } = T.memory(backend);
      return { liveTensors, liveBuffers, liveBytes };
    };
    const before = live();
    for (let i = 0; i < 20; i++) {
      T.tidy(() => {
        const [v, [g]] = T.valueAndGrad((a) => T.sum(T.square(T.matmul(a, a))))(w);
        expect(v.isDisposed || g.isDisposed).toBe(false);
      });
    }
    expect(live()).toEqual(before);
    w.dispose();
  });
});
