import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  AdamW,
  CausalLM,
  type CausalLMConfig,
  clipGradNorm,
  cosineWithWarmup,
  LRScheduler,
  PagedAdamW,
  SGD,
  warmupStableDecay,
} from '../src/index.js';
import { backends, expectClose } from './helpers.js';

interface Arr {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/adamw_tiny.json', import.meta.url), 'utf8')) as {
  torch: string;
  config: CausalLMConfig;
  optimizer: { lr: number; betas: [number, number]; eps: number; weightDecay: number };
  ids: number[][];
  initial: Record<string, Arr>;
  losses: number[];
  final: Record<string, Arr>;
};

const list = await backends();

describe.each(list)('optimizers on %s', (_name, backend) => {
  it(`3 AdamW steps on a tiny transformer match PyTorch ${fixture.torch}`, async () => {
    const model = new CausalLM(fixture.config, { backend });
    const state = Object.fromEntries(
      Object.entries(fixture.initial).map(([k, v]) => [k, T.tensor(v.data, { shape: v.shape, backend })]),
    );
    model.loadStateDict(state);
    const opt = new AdamW(model.parameters(), fixture.optimizer);
    const ids = T.tensor(fixture.ids, { dtype: 'i32', backend });
    for (let step = 0; step < 3; step++) {
      opt.zeroGrad();
      const loss = T.tidy(() => {
        const l = model.loss(ids);
        l.backward();
        return l;
      });
      expect(Math.abs((await loss.item()) - fixture.losses[step])).toBeLessThan(2e-5);
      loss.dispose();
      opt.step();
    }
    const sd = model.stateDict();
    for (const [name, want] of Object.entries(fixture.final)) {
      // Adam divides by √v: gradients that differ in the last bits move weights by up to ~1e-6·lr-scale.
      expectClose(await sd[name].data(), want.data, 1e-4, 2e-5, name);
    }
    opt.dispose();
    model.dispose();
  });

  it('SGD with momentum follows the PyTorch recurrence', async () => {
    const p = T.tensor([1, -2], { backend }).requireGrad();
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true });
    // d/dp of sum(p²) = 2p, twice.
    let ref = [1, -2];
    let buf: number[] | undefined;
    for (let s = 0; s < 2; s++) {
      opt.zeroGrad();
      T.tidy(() => T.sum(T.square(p)).backward());
      opt.step();
      const g = ref.map((v) => 2 * v + 0.01 * v);
      buf = buf ? buf.map((b, i) => 0.9 * b + g[i]) : g;
      const b = buf;
      ref = ref.map((v, i) => v - 0.1 * (g[i] + 0.9 * b[i]));
    }
    expectClose(await p.data(), ref, 1e-6, 1e-7, 'sgd');
    opt.dispose();
  });

  it('clipGradNorm scales gradients to the max norm and returns the norm', async () => {
    const a = T.tensor([3, 0], { backend }).requireGrad();
    const b = T.tensor([4], { backend }).requireGrad();
    T.tidy(() =>
      T.add(
        T.sum(T.mul(a, T.tensor([3, 0], { backend }))),
        T.sum(T.mul(b, T.tensor([4], { backend }))),
      ).backward(),
    );
    const norm = clipGradNorm([a, b], 1);
    expect(await norm.item()).toBeCloseTo(5, 5);
    expectClose(await a.grad!.data(), [0.6, 0], 1e-5, 1e-6, 'a');
    expectClose(await b.grad!.data(), [0.8], 1e-5, 1e-6, 'b');
  });

  it('schedules warm up, then decay', () => {
    const cos = cosineWithWarmup({ warmup: 10, total: 110, minRatio: 0.1 });
    expect(cos(0)).toBeCloseTo(0.1);
    expect(cos(9)).toBeCloseTo(1);
    expect(cos(60)).toBeCloseTo(0.55);
    expect(cos(110)).toBeCloseTo(0.1);
    const wsd = warmupStableDecay({ warmup: 5, decay: 10, total: 100 });
    expect(wsd(4)).toBe(1);
    expect(wsd(50)).toBe(1);
    expect(wsd(99)).toBeCloseTo(0);
    const opt = { lr: 1 };
    const sched = new LRScheduler(opt, cos);
    expect(opt.lr).toBeCloseTo(0.1);
    sched.next();
    expect(opt.lr).toBeCloseTo(0.2);
  });
});

describe.each(list)('PagedAdamW on %s', (_name, backend) => {
  it('gives AdamW’s updates while large states live on the host', async () => {
    const g = new T.Generator(5);
    const init = [T.randn([64, 40], { backend, generator: g }), T.randn([7], { backend, generator: g })];
    const a = init.map((t) => T.clone(t).requireGrad());
    const b = init.map((t) => T.clone(t).requireGrad());
    const ref = new AdamW(a, { lr: 0.01 });
    const paged = new PagedAdamW(b, { lr: 0.01, pageThreshold: 1000, budgetBytes: 0 });
    for (let step = 0; step < 4; step++) {
      for (const ps of [a, b]) {
        T.tidy(() =>
          T.sum(T.mul(T.square(ps[0]), 0.5))
            .add(T.sum(T.sin(ps[1])))
            .backward(),
        );
      }
      ref.step();
      // Gradients are computed where first read; compute them now so that only state is counted.
      for (const p of b) p.grad?.realize();
      const before = T.memory(backend).liveBytes;
      await paged.step();
      // Between steps only the small parameter's state is resident: nothing for the paged one.
      expect(T.memory(backend).liveBytes - before).toBeLessThanOrEqual(2 * 256);
      for (const p of [...a, ...b]) p.setGrad(null);
    }
    for (let i = 0; i < 2; i++)
      expectClose(
        (await b[i].data()) as Float32Array,
        (await a[i].data()) as Float32Array,
        1e-6,
        1e-7,
        `param ${i}`,
      );
    const s = paged.stats();
    expect(paged.isPaged(b[0])).toBe(true);
    expect(paged.isPaged(b[1])).toBe(false);
    expect(s.hostBytes).toBe(2 * 4 * 64 * 40);
    expect(s.pagedInBytes).toBe(3 * s.hostBytes);
    expect(s.pagedOutBytes).toBe(4 * s.hostBytes);
    const sd = paged.stateDict();
    expect(Object.keys(sd.tensors).sort()).toEqual([
      '0.exp_avg',
      '0.exp_avg_sq',
      '1.exp_avg',
      '1.exp_avg_sq',
    ]);
    expectClose(
      (await sd.tensors['0.exp_avg'].data()) as Float32Array,
      (await ref.stateDict().tensors['0.exp_avg'].data()) as Float32Array,
      1e-6,
      1e-8,
      'exp_avg',
    );
    sd.tensors['0.exp_avg'].dispose();
    sd.tensors['0.exp_avg_sq'].dispose();
    for (const t of [...init, ...a, ...b]) t.dispose();
    ref.dispose();
    paged.dispose();
  });
});
