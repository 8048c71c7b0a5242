import { readFileSync } from 'node:fs';
import { KVCache, RoPE, TransformerBlock } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { Generator } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { MoEError, MoTBlock, type MoTConfig } from '../src/index.js';
import { backends } from './helpers.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-moe-mot.json', import.meta.url), 'utf8'),
) as {
  config: MoTConfig & { batch: number; seq: number; ropeBase: number; normEps: number };
  x: number[];
  modality: number[];
  params: Record<string, number[]>;
  out: number[];
  coef: number[];
  gradX: number[];
  gradParams: Record<string, number[]>;
};
const cfg = fixture.config;
const [B, S, D] = [cfg.batch, cfg.seq, cfg.dim];

const maxDiff = (got: ArrayLike<number>, want: ArrayLike<number | string>) => {
  expect(got.length).toBe(want.length);
  let m = 0;
  for (let i = 0; i < want.length; i++) m = Math.max(m, Math.abs(got[i] - Number(want[i])));
  return m;
};

/** The fixture's block on `backend`, its parameters set to the fixture's. */
function fixtureBlock(backend: T.Backend): MoTBlock {
  const rope = new RoPE(D / cfg.heads, S, cfg.ropeBase, backend);
  const block = new MoTBlock(cfg, rope, { backend });
  const state = Object.fromEntries(
    block
      .namedParameters()
      .map(([n, p]) => [n, T.tensor(fixture.params[n], { shape: [...p.shape], backend })]),
  );
  block.loadStateDict(state);
  return block;
}

describe.each(await backends())('MoTBlock on %s', (_, backend) => {
  it('matches the PyTorch transcription: output and gradients of x and every parameter', async () => {
    const block = fixtureBlock(backend);
    const x = T.tensor(fixture.x, { shape: [B, S, D], backend }).requireGrad();
    const modality = T.tensor(fixture.modality, { shape: [B, S], dtype: 'i32', backend });
    const out = await block.forward(x, modality);
    // f32 against a float64 reference through norms, 5 small matmuls, softmax and SiLU with outputs of
    // magnitude ~1–3: f32 rounding (~1e-7 relative) accumulates to ~1e-6 (seen: ≤ 1.1e-6).
    expect(maxDiff(await out.data(), fixture.out)).toBeLessThanOrEqual(3e-6);
    T.sum(T.mul(out, T.tensor(fixture.coef, { shape: [B, S, D], backend }))).backward();
    // Gradients pass back through the same chain and sum over tokens: more rounding (seen: ≤ 2.9e-6).
    expect(maxDiff(await x.grad!.data(), fixture.gradX)).toBeLessThanOrEqual(1e-5);
    for (const [n, p] of block.namedParameters()) {
      const d = maxDiff(await p.grad!.data(), fixture.gradParams[n]);
      expect(d, n).toBeLessThanOrEqual(1e-5);
    }
  });

  it('with every modality sharing the weights, equals nn TransformerBlock', async () => {
    const c = { dim: 16, heads: 4, kvHeads: 2, hidden: 24, modalities: 3 };
    const rope = new RoPE(4, 7, 10000, backend);
    const dense = new TransformerBlock({ ...c, vocabSize: 1, layers: 1, maxSeq: 7 }, rope, {
      backend,
      generator: new Generator(5),
    });
    // Norm weights away from 1 so that using the wrong norm would show.
    T.noGrad(() => {
      dense.input_layernorm.weight.assign(T.add(T.rand([16], { backend, generator: new Generator(6) }), 0.5));
      dense.post_attention_layernorm.weight.assign(
        T.add(T.rand([16], { backend, generator: new Generator(7) }), 0.5),
      );
    });
    const block = new MoTBlock(c, rope, { backend });
    const state: Record<string, T.Tensor> = {};
    for (let m = 0; m < 3; m++)
      for (const [n, p] of dense.namedParameters()) state[`modalities.${m}.${n}`] = p;
    block.loadStateDict(state);
    const x = T.randn([2, 7, 16], { backend, generator: new Generator(8) });
    const ids = [2, 0, 0, 1, 2, 2, 0, 1, 1, 1, 0, 2, 0, 0];
    const modality = T.tensor(ids, { shape: [2, 7], dtype: 'i32', backend });
    const want = await dense.forward(x).data();
    const got = await (await block.forward(x, modality)).data();
    // The same f32 operations on every row; only how rows are batched into each matmul differs,
    // which may change a kernel's tiling but not a row's sums beyond an ulp or two.
    expect(maxDiff(got, [...want])).toBeLessThanOrEqual(1e-6);
  });

  it('refuses modality ids out of range, naming them, and changes nothing', async () => {
    const block = fixtureBlock(backend);
    const before = await Promise.all(block.parameters().map(async (p) => [...(await p.data())]));
    const x = T.tensor(fixture.x, { shape: [B, S, D], backend });
    const cache = new KVCache();
    for (const bad of [2, -1]) {
      const ids = [...fixture.modality];
      ids[6] = bad;
      const modality = T.tensor(ids, { shape: [B, S], dtype: 'i32', backend });
      const err = await block.forward(x, modality, { cache }).catch((e: Error) => e);
      expect(err).toBeInstanceOf(MoEError);
      expect((err as Error).message).toBe(
        `modalityRouting: modality ids must be integers in [0, 1], got ${bad} at token 6`,
      );
    }
    await expect(block.forward(x, T.zeros([B, S + 1], { dtype: 'i32', backend }))).rejects.toThrow(
      /MoTBlock.forward: modality must be \[2, 5\] \(x's batch and seq\), got \[2, 6\]/,
    );
    await expect(block.forward(x, T.zeros([B, S], { backend }))).rejects.toThrow(
      /modalityRouting: modality must be i32 \[batch, seq\], got f32\[2, 5\]/,
    );
    expect(cache.length).toBe(0);
    const after = await Promise.all(block.parameters().map(async (p) => [...(await p.data())]));
    expect(after).toEqual(before);
    expect(block.parameters().every((p) => !p.grad)).toBe(true);
  });

  it('decoding through a KV cache, a few tokens at a time, gives the full forward', async () => {
    const block = fixtureBlock(backend);
    const x = T.tensor(fixture.x, { shape: [B, S, D], backend });
    const ids = T.tensor(fixture.modality, { shape: [B, S], dtype: 'i32', backend });
    const full = [...(await (await block.forward(x, ids)).data())];
    const cache = new KVCache();
    const parts: T.Tensor[] = [];
    for (const [at, n] of [
      [0, 2],
      [2, 1],
      [3, 2],
    ]) {
      parts.push(
        await block.forward(T.narrow(x, 1, at, n), T.contiguous(T.narrow(ids, 1, at, n)), { cache }),
      );
    }
    expect(cache.length).toBe(S);
    // The same per-row arithmetic; only the attention kernel's key blocking differs with the query count.
    expect(maxDiff(await T.concat(parts, 1).data(), full)).toBeLessThanOrEqual(1e-6);
  });

  it('gradients reach every parameter of each modality with tokens, and none of one without', async () => {
    const c = { dim: 8, heads: 2, hidden: 8, modalities: 3 };
    const block = new MoTBlock(c, new RoPE(4, 4, 10000, backend), { backend, generator: new Generator(9) });
    const x = T.randn([2, 4, 8], { backend, generator: new Generator(10) });
    const modality = T.tensor([0, 1, 1, 0, 1, 0, 0, 0], { shape: [2, 4], dtype: 'i32', backend });
    const coef = T.randn([2, 4, 8], { backend, generator: new Generator(11) });
    T.sum(T.mul(await block.forward(x, modality), coef)).backward();
    for (const [n, p] of block.namedParameters()) {
      if (n.startsWith('modalities.2.')) {
        expect(p.grad, n).toBeFalsy();
        continue;
      }
      const g = await p.grad!.data();
      expect(Math.max(...[...g].map(Math.abs)), n).toBeGreaterThan(0);
    }
  });
});

describe('MoTBlock gradients by finite differences', () => {
  it('x and a few parameters move as their analytic gradient says', async () => {
    const block = fixtureBlock(T.cpuBackend);
    const x = T.tensor(fixture.x, { shape: [B, S, D] }).requireGrad();
    const modality = T.tensor(fixture.modality, { shape: [B, S], dtype: 'i32' });
    const coef = T.tensor(fixture.coef, { shape: [B, S, D] });
    const f = async (input: T.Tensor) =>
      T.noGrad(async () => T.sum(T.mul(await block.forward(input, modality), coef)).item());
    T.sum(T.mul(await block.forward(x, modality), coef)).backward();
    const h = 1e-2; // f32 rounding of f(±h) ~1e-6 · |f|; central differences err O(h²) ~1e-4 here
    const x0 = [...(await x.data())];
    const gx = await x.grad!.data();
    for (const i of [0, 13, 47, 79]) {
      const at = (d: number) =>
        T.tensor(
          x0.map((v, j) => (j === i ? v + d : v)),
          { shape: [B, S, D] },
        );
      const fd = ((await f(at(h))) - (await f(at(-h)))) / (2 * h);
      expect(Math.abs(fd - gx[i])).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(gx[i])));
    }
    for (const n of [
      'modalities.0.self_attn.k_proj.weight',
      'modalities.1.post_attention_layernorm.weight',
    ]) {
      const p = block.stateDict()[n];
      const g = await p.grad!.data();
      const p0 = [...(await p.data())];
      const xc = T.tensor(x0, { shape: [B, S, D] });
      for (const i of [0, 3]) {
        const set = (d: number) =>
          T.noGrad(() =>
            p.assign(
              T.tensor(
                p0.map((v, j) => (j === i ? v + d : v)),
                { shape: [...p.shape] },
              ),
            ),
          );
        set(h);
        const up = await f(xc);
        set(-h);
        const down = await f(xc);
        set(0);
        expect(Math.abs((up - down) / (2 * h) - g[i]), n).toBeLessThanOrEqual(
          2e-3 * Math.max(1, Math.abs(g[i])),
        );
      }
    }
  });
});
