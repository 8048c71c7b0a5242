import * as T from '@tessera/tensor';
import { Generator } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { loadBalanceLoss, MoEError, routingStats, TopKRouter, zLoss } from '../src/index.js';

describe('TopKRouter (Mixtral)', () => {
  it('picks the k most probable experts and renormalises their probabilities', async () => {
    const router = new TopKRouter(4, 5, 2, { generator: new Generator(1) });
    const x = T.randn([7, 4], { generator: new Generator(2) });
    const a = router.forward(x);
    const probs = (await a.probs.toArray()) as number[][];
    const experts = (await a.experts.toArray()) as number[][];
    const weights = (await a.weights.toArray()) as number[][];
    for (let t = 0; t < 7; t++) {
      const order = probs[t].map((p, e) => [p, e]).sort((u, v) => v[0] - u[0] || u[1] - v[1]);
      expect(experts[t]).toEqual([order[0][1], order[1][1]]);
      const s = order[0][0] + order[1][0];
      expect(weights[t][0]).toBeCloseTo(order[0][0] / s, 6);
      expect(weights[t][1]).toBeCloseTo(order[1][0] / s, 6);
    }
    const stats = await routingStats(a);
    expect(stats.tokensPerExpert.reduce((u, v) => u + v, 0)).toBe(14);
    expect(stats.dropRate).toBe(0);
    expect(stats.entropy).toBeGreaterThan(0);
    expect(stats.entropy).toBeLessThanOrEqual(Math.log(5) + 1e-6);
  });

  it('load-balance loss is E·Σ f·P, and 1 for a uniform router', async () => {
    const router = new TopKRouter(3, 4, 1);
    router.gate.weight.assign(T.zeros([4, 3]));
    const a = router.forward(T.randn([8, 3], { generator: new Generator(3) }));
    // Uniform probabilities: P = 1/4 each; ties go to expert 0, so f = [1, 0, 0, 0].
    expect(await loadBalanceLoss(a).item()).toBeCloseTo(1, 6);
    expect(await zLoss(a).item()).toBeCloseTo(Math.log(4) ** 2, 5);
    expect([...(await a.experts.data())]).toEqual(new Array(8).fill(0));
  });

  it('refuses k larger than the experts and a wrong input width, naming them', () => {
    expect(() => new TopKRouter(4, 3, 4)).toThrow(MoEError);
    expect(() => new TopKRouter(4, 3, 4)).toThrow(/TopKRouter: k must be an integer in \[1, 3\], got 4/);
    const r = new TopKRouter(4, 3, 2);
    expect(() => r.forward(T.zeros([2, 5]))).toThrow(
      /TopKRouter.forward: x must be f32 \[tokens, 4\], got f32\[2, 5\]/,
    );
  });
});
