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
