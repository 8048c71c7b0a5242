import { readFileSync } from 'node:fs';
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { Generator } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import {
  DeepSeekV3Router,
  MoECausalLM,
  type MoECausalLMConfig,
  MoEError,
  SwitchRouter,
} from '../src/index.js';
import { backends } from './helpers.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-moe-lm.json', import.meta.url), 'utf8'),
) as {
  config: MoECausalLMConfig & { batch: number; seq: number };
  ids: number[];
  params: Record<string, number[]>;
  shapes: Record<string, number[]>;
  logits: number[];
  aux: number;
  coef: number[];
  grads: Record<string, number[]>;
};
const cfg = fixture.config;
const [B, S] = [cfg.batch, cfg.seq];

const maxDiff = (got: ArrayLike<number>, want: ArrayLike<number | string>) => {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - Number(want[i])));
  return m;
};

/** The fixture's checkpoint, by its Hugging Face names (experts one by one). */
const fixtureState = (backend: T.Backend) =>
  Object.fromEntries(
    Object.entries(fixture.params).map(([n, v]) => [
      n,
      T.tensor(v.map(Number), { shape: fixture.shapes[n], backend }),
    ]),
  );

// The beginning of the Gettysburg Address (1863, public domain): a short real text to learn.
const TEXT =
  'Four score and seven years ago our fathers brought forth on this continent, a new nation, ' +
  'conceived in Liberty, and dedicated to the proposition that all men are created equal. Now we ' +
  'are engaged in a great civil war, testing whether that nation, or any nation so conceived and ' +
  'so dedicated, can long endure. We are met on a great battle-field of that war.';

describe.each(await backends())('MoECausalLM on %s', (_, backend) => {
  it('loads a Mixtral checkpoint by its HF names and matches the PyTorch logits, aux loss and gradients', async () => {
    const model = new MoECausalLM(cfg, { backend, generator: new Generator(0) });
    const { missing, unexpected } = model.loadStateDict(fixtureState(backend));
    expect([missing, unexpected]).toEqual([[], []]);
    const ids = T.tensor(fixture.ids, { shape: [B, S], dtype: 'i32', backend });
    const { logits, auxLoss, assignments } = model.forwardWithAux(ids);
    // f32 against a float64 reference through 2 layers of norms, attention, routing softmax and 4
    // experts, logits of magnitude ~1–5: f32 rounding accumulates to a few 1e-6.
    expect(maxDiff(await logits.data(), fixture.logits)).toBeLessThanOrEqual(2e-5);
    expect(Math.abs((await auxLoss.item()) - fixture.aux)).toBeLessThanOrEqual(1e-5);
    expect(assignments.map((a) => a?.experts.shape)).toEqual([
      [B * S, 2],
      [B * S, 2],
    ]);
    T.mean(T.mul(logits, T.tensor(fixture.coef, { shape: [B, S, cfg.vocabSize], backend }))).backward();
    const params = model.stateDict();
    for (const [name, want] of Object.entries(fixture.grads)) {
      const perExpert = /^(.*experts)\.(\d+)\.(w[123])\.weight$/.exec(name);
      const grad = perExpert
        ? T.narrow(params[`${perExpert[1]}.${perExpert[3]}`].grad!, 0, Number(perExpert[2]), 1)
        : params[name].grad!;
      // Gradients of a mean over B·S·vocab = 448 terms (~1e-3 in size): absolute f32 error ≤ 1e-6.
      expect(maxDiff(await grad.data(), want), name).toBeLessThanOrEqual(2e-6);
    }
    model.dispose();
  });

  it('learns a short real text: its loss falls from ~ln 256 to under 1 nat in 40 steps', async () => {
    const bytes = [...new TextEncoder().encode(TEXT)];
    const seq = 33;
    const rows = Array.from({ length: 8 }, (_, r) => bytes.slice(r * 37, r * 37 + seq));
    const ids = T.tensor(rows, { dtype: 'i32', backend });
    const model = new MoECausalLM(
      { vocabSize: 256, dim: 32, layers: 2, heads: 4, maxSeq: 64, numExperts: 4, expertHidden: 32 },
      { backend, generator: new Generator(1) },
    );
    const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 40; step++) {
      const loss = T.tidy(() => {
        const l = model.loss(ids);
        l.backward();
        return l;
      });
      losses.push(await loss.item());
      loss.dispose();
      await opt.step();
      opt.zeroGrad();
    }
    // From ~ln 256 = 5.5 (uniform over bytes); a 2-layer model fits these 264 bytes quickly.
    expect(losses[0]).toBeGreaterThan(5);
    expect(losses[39]).toBeLessThan(losses[0] - 1.5);
    model.dispose();
  });
});

describe('MoECausalLM names and options', () => {
  const base = { vocabSize: 16, dim: 8, layers: 2, heads: 2, maxSeq: 8, numExperts: 4, expertHidden: 12 };
  const ids = T.tensor(
    [
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ],
    { dtype: 'i32' },
  );

  it('names Qwen2-MoE parameters as HF and reloads its per-expert checkpoint', async () => {
    const a = new MoECausalLM(
      { ...base, naming: 'qwen2-moe', sharedHidden: 10 },
      { generator: new Generator(2) },
    );
    const names = Object.keys(a.stateDict());
    for (const n of [
      'model.layers.1.mlp.gate.weight',
      'model.layers.1.mlp.experts.w1',
      'model.layers.1.mlp.shared_expert.gate_proj.weight',
      'model.layers.1.mlp.shared_expert_gate.weight',
    ])
      expect(names).toContain(n);
    const hf = a.hfStateDict();
    expect(Object.keys(hf)).toContain('model.layers.0.mlp.experts.3.down_proj.weight');
    expect(hf['model.layers.0.mlp.experts.3.down_proj.weight'].shape).toEqual([8, 12]);
    const b = new MoECausalLM(
      { ...base, naming: 'qwen2-moe', sharedHidden: 10 },
      { generator: new Generator(3) },
    );
    b.loadStateDict(hf);
    expect(maxDiff(await b.forward(ids).data(), [...(await a.forward(ids).data())])).toBe(0);
  });

  it('names DeepSeek-V3 parameters as HF: gate with its correction bias, ungated shared_experts', async () => {
    const make = (seed: number) =>
      new MoECausalLM(
        { ...base, naming: 'deepseek-v3', sharedHidden: 10 },
        {
          generator: new Generator(seed),
          router: (_, o) => new DeepSeekV3Router(8, 4, 2, { ...o, nGroup: 2, topkGroup: 1 }),
        },
      );
    const a = make(4);
    const names = Object.keys(a.stateDict());
    for (const n of [
      'model.layers.0.mlp.gate.weight',
      'model.layers.0.mlp.gate.e_score_correction_bias',
      'model.layers.0.mlp.experts.w2',
      'model.layers.0.mlp.shared_experts.up_proj.weight',
    ])
      expect(names).toContain(n);
    expect(names.some((n) => n.includes('shared_expert_gate') || n.includes('router'))).toBe(false);
    const b = make(5);
    b.loadStateDict(a.hfStateDict());
    expect(maxDiff(await b.forward(ids).data(), [...(await a.forward(ids).data())])).toBe(0);
  });

  it('keeps dense SwiGLU layers between sparse ones with sparseStep, any router and dispatch kind', async () => {
    const model = new MoECausalLM(
      { ...base, layers: 4, sparseStep: 2 },
      { generator: new Generator(6), router: (_, o) => new SwitchRouter(8, 4, o), kind: 'capacity' },
    );
    const names = Object.keys(model.stateDict());
    expect(names).toContain('model.layers.0.mlp.gate_proj.weight');
    expect(names).toContain('model.layers.1.block_sparse_moe.router.gate.weight');
    expect(names).toContain('model.layers.3.block_sparse_moe.experts.w1');
    expect(names.some((n) => n.startsWith('model.layers.2.block_sparse_moe'))).toBe(false);
    const { assignments, auxLoss } = model.forwardWithAux(ids);
    expect(assignments.map((a) => a?.experts.shape[1])).toEqual([undefined, 1, undefined, 1]);
    expect(Number.isFinite(await auxLoss.item())).toBe(true);
  });

  it('rejects a checkpoint with another expert count, naming both, and changes nothing', async () => {
    const model = new MoECausalLM(cfg, { generator: new Generator(7) });
    const other = new MoECausalLM({ ...cfg, numExperts: 8 }, { generator: new Generator(8) });
    const before = await model.lm_head.weight.data();
    const gateBefore = await model.stateDict()['model.layers.0.block_sparse_moe.gate.weight'].data();
    expect(() => model.loadStateDict(other.hfStateDict())).toThrow(MoEError);
    expect(() => model.loadStateDict(other.hfStateDict())).toThrow(/8 experts, the config numExperts 4/);
    expect([...(await model.lm_head.weight.data())]).toEqual([...before]);
    expect([...(await model.stateDict()['model.layers.0.block_sparse_moe.gate.weight'].data())]).toEqual([
      ...gateBefore,
    ]);
  });

  it('decodes with KV caches token by token as the full forward does (routing is per token)', async () => {
    const model = new MoECausalLM(base, { generator: new Generator(9) });
    const full = await model.forward(ids).data();
    const caches = model.newCaches();
    const steps: number[] = [];
    for (let t = 0; t < 5; t++) {
      const one = T.narrow(ids, 1, t, 1);
      steps.push(...(await model.forward(T.contiguous(one), caches).data()));
    }
    // Reorder the full logits [2, 5, 16] as the steps produced them: position-major.
    const want = [0, 1, 2, 3, 4].flatMap((t) =>
      [0, 1].flatMap((b) => [...full.slice((b * 5 + t) * 16, (b * 5 + t + 1) * 16)]),
    );
    // The same f32 arithmetic, but attention over a cache and one fused causal call may sum in another
    // order (seen: identical on cpu).
    expect(maxDiff(steps, want)).toBeLessThanOrEqual(1e-5);
    for (const c of caches) c.dispose();
  });

  it('has the gradients of finite differences of loss (cross-entropy + aux) on the fixture model', async () => {
    const model = new MoECausalLM(cfg, { generator: new Generator(10) });
    model.loadStateDict(fixtureState(T.cpuBackend));
    const ids = T.tensor(fixture.ids, { shape: [B, S], dtype: 'i32' });
    model.loss(ids).backward();
    const params = model.stateDict();
    const lossAt = async (p: T.Tensor, at: number, value: number) => {
      const data = Float32Array.from(await p.data());
      data[at] = value;
      T.noGrad(() => p.assign(T.tensor(data, { shape: [...p.shape] })));
      return T.noGrad(() => model.loss(ids)).item();
    };
    for (const name of [
      'lm_head.weight',
      'model.layers.0.block_sparse_moe.gate.weight',
      'model.layers.1.block_sparse_moe.experts.w2',
      'model.layers.0.self_attn.k_proj.weight',
    ]) {
      const p = params[name];
      // The entry of largest gradient, where the finite difference resolves it best.
      const grad = [...(await p.grad!.data())];
      const at = grad.reduce((best, g, i) => (Math.abs(g) > Math.abs(grad[best]) ? i : best), 0);
      const x0 = (await p.data())[at];
      const analytic = grad[at];
      // Small, as a larger step could flip a top-2 choice (the fixture's smallest 2nd/3rd probability
      // gap is 3e-3), where the loss is not differentiable; agreement shows none flipped.
      const h = 1e-2;
      const fd = ((await lossAt(p, at, x0 + h)) - (await lossAt(p, at, x0 - h))) / (2 * h);
      await lossAt(p, at, x0);
      // Central differences of an f32 loss (~5, rounding ~5e-7, so ~5e-5 over 2h) plus O(h²)
      // curvature; gradients here are 0.08–0.4 (seen: |fd − analytic| ≤ 2.4e-5).
      expect(Math.abs(fd - analytic), name).toBeLessThanOrEqual(5e-5 + 1e-3 * Math.abs(analytic));
    }
  });

  it('rejects an unknown naming and a bad sparseStep', () => {
    expect(() => new MoECausalLM({ ...base, naming: 'llama' as 'mixtral' })).toThrow(
      /naming must be .* got llama/,
    );
    expect(() => new MoECausalLM({ ...base, sparseStep: 0 })).toThrow(MoEError);
  });
});
