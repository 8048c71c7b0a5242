import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';
import { Generator } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  type Assignment,
  assertFiniteLogits,
  DeepSeekV3Router,
  ExpertChoiceRouter,
  loadBalanceLoss,
  MoEError,
  SwitchRouter,
  Top2Router,
  TopKRouter,
  zLoss,
} from '../src/index.js';
import { backends } from './helpers.js';

interface Case {
  experts: number;
  k: number;
  options: Record<string, number | boolean>;
  weight: number[];
  bias?: number[];
  idx: number[];
  weights: number[];
  probs: number[];
  coef: number[];
  grad: number[];
  loadBalance: number;
  zLoss: number;
  positions?: number[];
  dropped?: boolean[];
}
const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-moe-routers.json', import.meta.url), 'utf8'),
) as { x: number[]; tokens: number; dim: number; cases: Record<string, Case> };
const { tokens, dim } = fixture;

type Router = { forward(x: T.Tensor): Assignment; parameters(): T.Tensor[] };

/** The router of a fixture case on `backend`, its gate weight set to the fixture's. */
function build(name: string, c: Case, backend: T.Backend): { router: Router; gate: T.Tensor } {
  const E = c.experts;
  const w = T.tensor(c.weight, { shape: [E, dim], backend });
  const o = c.options;
  if (name === 'deepseek') {
    const r = new DeepSeekV3Router(dim, E, o.k as number, { ...o, backend });
    r.loadStateDict({ weight: w, e_score_correction_bias: T.tensor(c.bias ?? [], { backend }) });
    return { router: r, gate: r.weight };
  }
  const r =
    name === 'switch'
      ? new SwitchRouter(dim, E, { ...o, backend })
      : name === 'expert_choice'
        ? new ExpertChoiceRouter(dim, E, { ...o, backend })
        : name === 'mixtral'
          ? new TopKRouter(dim, E, o.k as number, { backend })
          : new Top2Router(dim, E, { ...o, backend });
  T.noGrad(() => r.gate.weight.assign(w));
  return { router: r, gate: r.gate.weight };
}

const num = (v: number | string) => Number(v);
const expectClose = (got: ArrayLike<number>, want: number[], tol: number) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - num(want[i]))).toBeLessThanOrEqual(tol);
};

describe.each(await backends())('routers against PyTorch on %s', (_, backend) => {
  const x = T.tensor(fixture.x, { shape: [tokens, dim], backend });
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(`${name}: experts, weights, positions, dropped and aux losses`, async () => {
      const { router } = build(name, c, backend);
      const a = router.forward(x);
      expect(a.experts.shape).toEqual([tokens, c.k]);
      expect([...(await a.experts.data())]).toEqual(c.idx);
      // f32 softmax/sigmoid and renormalisation against PyTorch's f32: a few ulps.
      expectClose(await a.weights.data(), c.weights, 2e-6);
      expectClose(await a.probs.data(), c.probs, 2e-6);
      if (c.positions) expect([...(await a.positions!.data())]).toEqual(c.positions);
      if (c.dropped) expect([...(await a.dropped!.data())].map(Boolean)).toEqual(c.dropped);
      if (!c.dropped) expect(a.dropped).toBeUndefined();
      expect(await loadBalanceLoss(a).item()).toBeCloseTo(num(c.loadBalance), 5);
      expect(await zLoss(a).item()).toBeCloseTo(num(c.zLoss), 5);
    });

    it(`${name}: gradient of the weights with respect to the gate weight`, async () => {
      const { router, gate } = build(name, c, backend);
      const coef = T.tensor(c.coef, { shape: [tokens, c.k], backend });
      T.sum(T.mul(router.forward(x).weights, coef)).backward();
      // Sums over 12 tokens of f32 products: the order of summation differs from PyTorch's.
      expectClose(await gate.grad!.data(), c.grad, 1e-5);
    });
  }
});

describe('router gradients by finite differences', () => {
  it('Top2Router, DeepSeekV3Router and ExpertChoiceRouter weights move as their analytic gradient says', async () => {
    for (const name of ['top2', 'deepseek', 'expert_choice'] as const) {
      const c = fixture.cases[name];
      const { router, gate } = build(name, c, T.cpuBackend);
      const x = T.tensor(fixture.x, { shape: [tokens, dim] });
      const coef = T.tensor(c.coef, { shape: [tokens, c.k] });
      const f = () => T.noGrad(() => T.sum(T.mul(router.forward(x).weights, coef)));
      T.sum(T.mul(router.forward(x).weights, coef)).backward();
      const g = await gate.grad!.data();
      const w0 = [...(await gate.data())];
      const shape = [...gate.shape];
      const h = 1e-3; // f32 rounding of f(w ± h) is ~1e-7 · |f|, ~1e-4 after dividing by 2h
      // Entries of the first two gate rows: the fixture's last two rows tie, and moving one breaks the tie.
      for (const i of [0, 5, 6]) {
        const at = (d: number) => {
          const w = [...w0];
          w[i] += d;
          T.noGrad(() => gate.assign(T.tensor(w, { shape })));
          return f().item();
        };
        const fd = ((await at(h)) - (await at(-h))) / (2 * h);
        // Central differences are O(h²) accurate, and no routing decision flips within ±h here.
        expect(Math.abs(fd - g[i]), `${name} w[${i}]`).toBeLessThanOrEqual(2e-3);
      }
    }
  });
});

describe('router behaviour', () => {
  it('Switch ties go to the lower expert id and jitter applies only in training', async () => {
    const r = new SwitchRouter(3, 4, { jitter: 0.1, noiseGenerator: new Generator(5) });
    T.noGrad(() => r.gate.weight.assign(T.zeros([4, 3])));
    const x = T.randn([6, 3], { generator: new Generator(1) });
    expect([...(await r.forward(x).experts.data())]).toEqual([0, 0, 0, 0, 0, 0]);
    const g = new SwitchRouter(3, 2, {
      jitter: 0.5,
      noiseGenerator: new Generator(5),
      generator: new Generator(2),
    });
    const train = await g.forward(x).logits.data();
    const train2 = await g.forward(x).logits.data();
    expect([...train]).not.toEqual([...train2]); // fresh noise each call
    g.eval();
    const ev = await g.forward(x).logits.data();
    expect([...ev]).toEqual([...(await g.gate.forward(x).data())]);
    const replay = new SwitchRouter(3, 2, {
      jitter: 0.5,
      noiseGenerator: new Generator(5),
      generator: new Generator(2),
    });
    expect([...(await replay.forward(x).logits.data())]).toEqual([...train]);
  });

  it('Top2 sampling is seeded, never repeats the first expert, and is off in eval', async () => {
    const mk = () =>
      new Top2Router(4, 6, {
        secondExpertPolicy: 'sampling',
        noiseGenerator: new Generator(9),
        generator: new Generator(3),
      });
    const x = T.randn([40, 4], { generator: new Generator(4) });
    const a = await mk().forward(x).experts.toArray();
    const b = await mk().forward(x).experts.toArray();
    expect(a).toEqual(b);
    for (const [e1, e2] of a as number[][]) expect(e1).not.toBe(e2);
    const r = mk();
    const plain = new Top2Router(4, 6, { generator: new Generator(3) });
    const sampled = (a as number[][]).map((p) => p[1]);
    const best = ((await plain.forward(x).experts.toArray()) as number[][]).map((p) => p[1]);
    expect(sampled).not.toEqual(best); // the noise changes some second choices
    r.eval();
    expect(((await r.forward(x).experts.toArray()) as number[][]).map((p) => p[1])).toEqual(best);
  });

  it('DeepSeek bias update lowers overloaded experts and raises underloaded ones', async () => {
    const r = new DeepSeekV3Router(4, 4, 1, { generator: new Generator(1) });
    const a: Assignment = {
      numExperts: 4,
      experts: T.tensor([0, 0, 0, 1, 2, 2], { shape: [6, 1], dtype: 'i32' }),
      weights: T.ones([6, 1]),
      probs: T.ones([6, 4]),
      logits: T.zeros([6, 4]),
    };
    r.updateBias(a, 0.01); // loads [3, 1, 2, 0], mean 1.5
    expectClose(await r.e_score_correction_bias.data(), [-0.01, 0.01, -0.01, 0.01], 1e-9);
    r.updateBias(a, 0.01);
    expectClose(await r.e_score_correction_bias.data(), [-0.02, 0.02, -0.02, 0.02], 1e-9);
    expect(r.e_score_correction_bias.requiresGrad).toBe(false);
    expect(Object.keys(r.stateDict())).toEqual(['weight', 'e_score_correction_bias']);
    // A bias large enough moves selection but not the weights (the unbiased score, normalised).
    T.noGrad(() => r.e_score_correction_bias.assign(T.tensor([0, 0, 0, 10])));
    const b = r.forward(T.randn([5, 4], { generator: new Generator(2) }));
    expect([...(await b.experts.data())]).toEqual([3, 3, 3, 3, 3]);
    expectClose(await b.weights.data(), [1, 1, 1, 1, 1], 1e-6);
  });

  it('expert choice: each expert takes exactly C tokens', async () => {
    const r = new ExpertChoiceRouter(4, 3, { capacityFactor: 2, generator: new Generator(1) });
    const a = r.forward(T.randn([9, 4], { generator: new Generator(2) }));
    expect(r.capacity(9)).toBe(6);
    const kept = (await T.sum(T.cast(T.logicalNot(a.dropped!), 'i32'), 0).data()) as Int32Array;
    expect([...kept]).toEqual([6, 6, 6]);
  });
});

describe('bad input', () => {
  it('names the argument, the expected and the actual value', async () => {
    expect(() => new SwitchRouter(4, 4, { capacityFactor: 0 })).toThrow(
      /SwitchRouter: capacityFactor must be a finite number > 0, got 0/,
    );
    expect(() => new Top2Router(4, 4, { capacityFactor: -1 })).toThrow(MoEError);
    expect(() => new ExpertChoiceRouter(4, 4, { capacityFactor: Number.NaN })).toThrow(/got NaN/);
    expect(() => new DeepSeekV3Router(4, 8, 9, { nGroup: 4, topkGroup: 4 })).toThrow(
      /DeepSeekV3Router: k must be an integer in \[1, 8\], got 9/,
    );
    expect(() => new DeepSeekV3Router(4, 8, 3, { nGroup: 4, topkGroup: 1 })).toThrow(
      /k must be .* \[1, 2\], got 3/,
    );
    expect(() => new DeepSeekV3Router(4, 6, 1, { nGroup: 4 })).toThrow(/nGroup must split numExperts 6/);
    expect(() => new Top2Router(4, 1)).toThrow(/numExperts must be an integer in \[2, /);
    expect(() => new SwitchRouter(4, 4, { jitter: 1 })).toThrow(/jitter must be a number in \[0, 1\), got 1/);
    const r = new Top2Router(4, 3);
    expect(() => r.forward(T.zeros([2, 5]))).toThrow(
      /Top2Router.forward: x must be f32 \[tokens, 4\], got f32\[2, 5\]/,
    );
    const d = new DeepSeekV3Router(4, 4, 1);
    const before = [...(await d.e_score_correction_bias.data())];
    const a = d.forward(T.zeros([2, 4]));
    expect(() => d.updateBias(a, -1)).toThrow(/rate must be a finite number >= 0, got -1/);
    expect([...(await d.e_score_correction_bias.data())]).toEqual(before);
  });

  it('NaN logits fail with the token and expert named', async () => {
    const r = new SwitchRouter(2, 3, { generator: new Generator(1) });
    const a = r.forward(
      T.tensor([
        [1, 2],
        [Number.NaN, 0],
      ]),
    );
    await expect(assertFiniteLogits(a)).rejects.toThrow(
      /router logits must be finite, got NaN at token 1, expert 0/,
    );
    await expect(assertFiniteLogits(r.forward(T.ones([2, 2])))).resolves.toBeUndefined();
  });
});
