import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { CausalLM, Dropout, KVCache, Linear, MultiHeadAttention, RoPE } from '../src/index.js';
import { backends, expectClose } from './helpers.js';

const list = await backends();
const tiny = { vocabSize: 32, dim: 16, layers: 2, heads: 4, kvHeads: 2, maxSeq: 32 };

describe.each(list)('nn modules on %s', (_name, backend) => {
  it('names parameters like Hugging Face LLaMA and round-trips a state dict', async () => {
    const a = new CausalLM(tiny, { backend, generator: new T.Generator(1) });
    const names = a.namedParameters().map(([n]) => n);
    expect(names).toContain('model.embed_tokens.weight');
    expect(names).toContain('model.layers.1.self_attn.k_proj.weight');
    expect(names).toContain('model.layers.0.mlp.gate_proj.weight');
    expect(names).toContain('model.norm.weight');
    expect(names).toContain('lm_head.weight');
    expect(a.stateDict()['model.layers.0.self_attn.k_proj.weight'].shape).toEqual([8, 16]); // 2 kv heads × 4
    const b = new CausalLM(tiny, { backend, generator: new T.Generator(2) });
    b.loadStateDict(a.stateDict());
    const ids = T.tensor([[1, 2, 3, 4]], { dtype: 'i32', backend });
    expectClose(await b.forward(ids).data(), await a.forward(ids).data(), 0, 0, 'same weights, same logits');
    const partial = { 'lm_head.weight': a.lm_head.weight, 'extra.weight': a.lm_head.weight };
    expect(() => b.loadStateDict(partial)).toThrow(/missing .*unexpected \["extra.weight"\]/);
    expect(b.loadStateDict(partial, { strict: false }).unexpected).toEqual(['extra.weight']);
    expect(() =>
      b.loadStateDict({ 'lm_head.weight': T.zeros([3, 3], { backend }) }, { strict: false }),
    ).toThrow(/has shape \[3, 3\], the parameter has \[32, 16\]/);
    a.dispose();
    b.dispose();
  });

  it('swaps submodules in place by path and freezes parameters', () => {
    const config = { vocabSize: 11, dim: 8, layers: 1, heads: 2, maxSeq: 8 };
    const lm = new CausalLM(config, { backend, generator: new T.Generator(1) });
    const attn = lm.getModule('model.layers.0.self_attn') as MultiHeadAttention;
    const old = attn.q_proj;
    const fresh = new Linear(8, 8, { backend });
    expect(attn.setChild('q_proj', fresh)).toBe(old);
    expect(attn.q_proj).toBe(fresh);
    expect(lm.stateDict()['model.layers.0.self_attn.q_proj.weight']).toBe(fresh.weight);
    expect(() => attn.setChild('nope', fresh)).toThrow(/no submodule 'nope'/);
    expect(() => lm.getModule('model.layers.7')).toThrow(/has no part '7'/);
    lm.setRequiresGrad(false);
    expect(lm.parameters().some((p) => p.requiresGrad)).toBe(false);
    old.dispose();
    lm.dispose();
  });

  it('Linear matches x·Wᵀ + b and initialises within ±1/√in', async () => {
    const l = new Linear(50, 3, { backend, generator: new T.Generator(3) });
    const w = await l.weight.data();
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(50));
    const x = T.ones([2, 50], { backend });
    const y = await l.forward(x).data();
    const b = await l.bias!.data();
    for (let o = 0; o < 3; o++) {
      let s = b[o];
      for (let i = 0; i < 50; i++) s += w[o * 50 + i];
      expect(Math.abs(y[o] - s)).toBeLessThan(1e-5);
    }
  });

  it('Dropout is seeded, scales kept values, and is off in eval mode', async () => {
    const d = new Dropout(0.5, { generator: new T.Generator(7) });
    const x = T.ones([1000], { backend });
    const y = await d.forward(x).data();
    const kept = y.filter((v) => v !== 0);
    expect(kept.every((v) => v === 2)).toBe(true);
    expect(Math.abs(kept.length - 500)).toBeLessThan(60);
    const again = await new Dropout(0.5, { generator: new T.Generator(7) }).forward(x).data();
    expect([...again]).toEqual([...y]);
    d.eval();
    expect(d.forward(x)).toBe(x);
  });

  it('RoPE rotates pairs by position and keeps norms', async () => {
    const rope = new RoPE(4, 8, 10000, backend);
    const x = T.tensor([1, 0, 0, 1], { shape: [1, 1, 1, 4], backend });
    const at0 = await rope.apply(x, 0).data();
    expectClose(at0, [1, 0, 0, 1], 0, 1e-7, 'position 0 is the identity');
    const at3 = await rope.apply(x, 3).data();
    // Pair (x0, x2) rotates by angle 3; pair (x1, x3) by 3·10000^(-1/2).
    const a = 3;
    const b = 3 / 100;
    expectClose(at3, [Math.cos(a), -Math.sin(b), Math.sin(a), Math.cos(b)], 1e-5, 1e-6, 'rotation');
    rope.dispose();
  });

  it('a KV cache gives the same logits as a full forward', async () => {
    const m = new CausalLM({ ...tiny, window: 3 }, { backend, generator: new T.Generator(4) });
    const ids = T.tensor([[3, 1, 4, 1, 5, 9]], { dtype: 'i32', backend });
    const full = await m.forward(ids).data();
    const caches = m.newCaches();
    const stepwise: number[] = [];
    // A prompt of 2, then one token at a time.
    stepwise.push(...(await m.forward(T.narrow(ids, 1, 0, 2), caches).data()));
    for (let t = 2; t < 6; t++) stepwise.push(...(await m.forward(T.narrow(ids, 1, t, 1), caches).data()));
    expectClose(stepwise, full, 1e-4, 1e-5, 'cached vs full');
    expect(caches[0].length).toBe(6);
    for (const c of caches) c.dispose();
    m.dispose();
  });

  it('attention supports cross-attention and key padding', async () => {
    const attn = new MultiHeadAttention({ dim: 8, heads: 2 }, { backend, generator: new T.Generator(5) });
    const x = T.randn([2, 3, 8], { backend, generator: new T.Generator(6) });
    const ctx = T.randn([2, 5, 8], { backend, generator: new T.Generator(7) });
    expect(attn.forward(x, { context: ctx }).shape).toEqual([2, 3, 8]);
    const pad = T.tensor(
      [
        [0, 0, 0, 1, 1],
        [0, 0, 0, 0, 0],
      ],
      { dtype: 'u8', backend },
    );
    const masked = await attn.forward(x, { context: ctx, keyPaddingMask: pad }).data();
    // Masking keys 3 and 4 equals dropping them.
    const dropped = await attn.forward(x, { context: T.narrow(ctx, 1, 0, 3) }).data();
    expectClose(masked.slice(0, 24), dropped.slice(0, 24), 1e-4, 1e-5, 'batch 0');
    const c = new KVCache();
    expect(c.length).toBe(0);
  });

  it('attention with document ids equals each document alone, also through a KV cache', async () => {
    const rope = new RoPE(4, 16, 10000, backend);
    const attn = new MultiHeadAttention(
      { dim: 8, heads: 2, causal: true, rope },
      { backend, generator: new T.Generator(8) },
    );
    const x = T.randn([1, 7, 8], { backend, generator: new T.Generator(9) });
    const segments = T.tensor([[0, 0, 0, 1, 1, 1, 1]], { dtype: 'i32', backend });
    const packed = (await attn.forward(x, { segments }).data()) as Float32Array;
    // RoPE depends on relative positions only, so the second document alone starts at 0.
    const first = await attn.forward(T.narrow(x, 1, 0, 3)).data();
    const second = await attn.forward(T.narrow(x, 1, 3, 4)).data();
    expectClose(packed, [...first, ...second], 1e-4, 1e-5, 'packed vs alone');
    const cache = new KVCache();
    const stepwise: number[] = [];
    for (let t = 0; t < 7; t++) {
      const seg = T.narrow(segments, 1, 0, t + 1);
      stepwise.push(...(await attn.forward(T.narrow(x, 1, t, 1), { cache, segments: seg }).data()));
    }
    expectClose(stepwise, packed, 1e-4, 1e-5, 'cached vs packed');
    expect(() => attn.forward(x, { context: x, segments })).toThrow(/segments are for self-attention/);
    cache.dispose();
    rope.dispose();
  });

  it('generates greedily with the cache, deterministically', async () => {
    const m = new CausalLM(tiny, { backend, generator: new T.Generator(8) });
    const prompt = T.tensor([[1, 2, 3]], { dtype: 'i32', backend });
    const a = await m.generate(prompt, 5, { temperature: 0 });
    const b = await m.generate(prompt, 5, { temperature: 0 });
    expect(a).toEqual(b);
    expect(a.every((t) => t >= 0 && t < 32)).toBe(true);
    // Greedy continuation equals argmax of the full forward at each step.
    const seq = [1, 2, 3, ...a];
    const logits = await m.forward(T.tensor([seq.slice(0, -1)], { dtype: 'i32', backend })).data();
    for (let s = 2; s < seq.length - 1; s++) {
      const row = [...logits.slice(s * 32, (s + 1) * 32)];
      expect(row.indexOf(Math.max(...row))).toBe(seq[s + 1]);
    }
    m.dispose();
  });
});
