import { CausalLM } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { MoEError, MoTCausalLM } from '../src/index.js';
import { backends, expectClose } from './helpers.js';

const cfg = { vocabSize: 19, dim: 8, layers: 2, heads: 2, hidden: 12, maxSeq: 16 };
const [B, S] = [2, 7];

/** A dense CausalLM and a MoT LM whose every modality holds the dense model's weights. */
function tiedPair(backend: T.Backend, modalities: number) {
  const dense = new CausalLM(cfg, { backend, generator: new T.Generator(3) });
  const mot = new MoTCausalLM({ ...cfg, modalities }, { backend, generator: new T.Generator(4) });
  const own = dense.stateDict();
  const state: Record<string, T.Tensor> = {};
  for (const [n] of mot.namedParameters()) {
    // layers.N.modalities.M.rest ← model.layers.N.rest; embed_tokens / norm ← model.*; lm_head as is.
    const m = /^layers\.(\d+)\.modalities\.\d+\.(.*)$/.exec(n);
    const src = m ? `model.layers.${m[1]}.${m[2]}` : n === 'lm_head.weight' ? n : `model.${n}`;
    expect(own[src], src).toBeDefined();
    state[n] = own[src];
  }
  mot.loadStateDict(state);
  return { dense, mot };
}

const ids = (backend: T.Backend) =>
  T.tensor(
    Array.from({ length: B * S }, (_, i) => (i * 7 + 3) % cfg.vocabSize),
    { shape: [B, S], dtype: 'i32', backend },
  );
const mixed = (backend: T.Backend) =>
  T.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0], { shape: [B, S], dtype: 'i32', backend });

describe.each(await backends())('MoTCausalLM on %s', (_, backend) => {
  it('equals the dense CausalLM when every modality holds its weights, whatever the modality ids', async () => {
    const { dense, mot } = tiedPair(backend, 2);
    const want = await dense.forward(ids(backend)).data();
    const got = await (await mot.forward(ids(backend), mixed(backend))).data();
    // Same arithmetic, but q/k/v are one concatenated matmul per modality and rows are gathered and
    // scattered: f32 summation order differs (~1e-7 relative on logits of magnitude ~1).
    expectClose(got, want, 1e-5, 1e-5, 'logits');
    const dl = await dense.loss(ids(backend)).item();
    const ml = await (await mot.loss(ids(backend), mixed(backend))).item();
    expect(Math.abs(ml - dl)).toBeLessThanOrEqual(1e-5);
  });

  it("routes each token to its own modality's weights: changing modality 1 moves only later positions", async () => {
    const { mot } = tiedPair(backend, 2);
    const modality = T.tensor([0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], {
      shape: [B, S],
      dtype: 'i32',
      backend,
    });
    const before = await (await mot.forward(ids(backend), modality)).data();
    const w = mot.layers[0].modalities[1].mlp.down_proj.weight;
    const tripled = T.noGrad(() => T.mul(w, 3));
    T.noGrad(() => w.assign(tripled));
    const after = await (await mot.forward(ids(backend), modality)).data();
    const V = cfg.vocabSize;
    const row = (b: number, s: number, x: Float32Array | ArrayLike<number>) =>
      Array.from({ length: V }, (_, v) => x[(b * S + s) * V + v]);
    // Positions 0–2 of row 0 attend only to modality-0 tokens, and row 1 has none of modality 1.
    for (const [b, s] of [[0, 0], [0, 1], [0, 2], ...Array.from({ length: S }, (_, s) => [1, s])])
      expectClose(row(b, s, after), row(b, s, before), 1e-6, 1e-6, `row ${b} position ${s}`);
    // Position 3 runs modality 1's FFN itself.
    const d = row(0, 3, after).reduce((m, v, i) => Math.max(m, Math.abs(v - row(0, 3, before)[i])), 0);
    expect(d).toBeGreaterThan(1e-3);
  });

  it("reduction 'none' gives [B, S − 1] losses whose mean is the mean loss", async () => {
    const { mot } = tiedPair(backend, 2);
    const none = await mot.loss(ids(backend), mixed(backend), 'none');
    expect(none.shape).toEqual([B, S - 1]);
    const v = [...(await none.data())] as number[];
    const mean = await (await mot.loss(ids(backend), mixed(backend))).item();
    expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length - mean)).toBeLessThanOrEqual(1e-6);
  });

  it('rejects modality ids of another shape or out of range with a MoEError naming them', async () => {
    const { mot } = tiedPair(backend, 2);
    const short = T.tensor([0, 1, 0], { shape: [1, 3], dtype: 'i32', backend });
    await expect(mot.forward(ids(backend), short)).rejects.toThrow(
      new MoEError(`MoTCausalLM: modality must be [${B}, ${S}] (the ids' shape), got [1, 3]`),
    );
    const bad = T.full([B, S], 2, { dtype: 'i32', backend });
    await expect(mot.forward(ids(backend), bad)).rejects.toThrow(
      /modality ids must be integers in \[0, 1\], got 2/,
    );
    const floats = T.zeros([B, S], { backend });
    await expect(mot.forward(floats, mixed(backend))).rejects.toThrow(
      /ids must be i32 \[batch, seq\], got f32\[2, 7\]/,
    );
  });
});
