import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends, expectClose, gradcheck, randomInput, randomTensor, rng } from './helpers.js';

const list = await backends();

describe.each(list)('fused attention on %s', (_name, backend) => {
  const r = rng(51);
  const cases: { q: number[]; kv: number[]; opts: T.AttentionOptions; dv?: number }[] = [
    { q: [1, 1, 1, 4], kv: [1, 1, 1, 4], opts: {} },
    { q: [2, 3, 70, 16], kv: [2, 3, 70, 16], opts: { causal: true } },
    { q: [1, 4, 33, 8], kv: [1, 2, 45, 8], opts: {}, dv: 12 }, // grouped-query, Sk ≠ Sq, Dv ≠ D
    { q: [2, 2, 40, 8], kv: [2, 2, 40, 8], opts: { causal: true, window: 7 } },
    { q: [1, 2, 3, 8], kv: [1, 2, 20, 8], opts: { causal: true, qOffset: 17 } }, // decoding with a cache
    { q: [2, 2, 65, 32], kv: [2, 1, 65, 32], opts: { causal: true, scale: 0.3 } },
  ];

  it('matches the composite reference (matmul, masks, softmax) on many shapes', async () => {
    for (const { q: qs, kv, opts, dv } of cases) {
      const q = randomTensor(r, qs, backend);
      const k = randomTensor(r, kv, backend);
      const v = randomTensor(r, dv ? [...kv.slice(0, 3), dv] : kv, backend);
      const fused = T.scaledDotProductAttention(q, k, v, opts);
      const ref = T.attentionReference(q, k, v, opts);
      expectClose(await fused.data(), await ref.data(), 1e-4, 1e-5, JSON.stringify(opts));
    }
  });

  it('honours a key padding mask, and gives zeros where no key is visible', async () => {
    const q = randomTensor(r, [2, 2, 5, 8], backend);
    const k = randomTensor(r, [2, 2, 6, 8], backend);
    const v = randomTensor(r, [2, 2, 6, 8], backend);
    const pad = T.tensor(
      [
        [0, 0, 0, 1, 1, 1],
        [1, 1, 1, 1, 1, 1],
      ],
      { dtype: 'u8', backend },
    );
    const out = T.scaledDotProductAttention(q, k, v, { keyPaddingMask: pad });
    expectClose(
      await out.data(),
      await T.attentionReference(q, k, v, { keyPaddingMask: pad }).data(),
      1e-4,
      1e-5,
    );
    const second = await T.slice(out, [1]).data();
    expect([...second].every((x) => x === 0)).toBe(true);
  });

  it('reads transposed (strided) inputs without copies', async () => {
    // [B, S, H, D] laid out, viewed as [B, H, S, D]: what a projection followed by a head split gives.
    const q = T.transpose(randomTensor(r, [2, 9, 3, 8], backend), 1, 2);
    const k = T.transpose(randomTensor(r, [2, 9, 3, 8], backend), 1, 2);
    const v = T.transpose(randomTensor(r, [2, 9, 3, 8], backend), 1, 2);
    const opts = { causal: true };
    expectClose(
      await T.scaledDotProductAttention(q, k, v, opts).data(),
      await T.attentionReference(q, k, v, opts).data(),
      1e-4,
      1e-5,
    );
  });

  it('gradients match finite differences (causal, grouped-query, padded)', async () => {
    const x = (shape: number[]) => randomInput(r, shape, -1, 1);
    const pads = new Map(
      [backend, T.cpuBackend].map((b) => [b, T.tensor([[0, 0, 1, 0]], { dtype: 'u8', backend: b })]),
    );
    await gradcheck(
      (q, k, v) => T.scaledDotProductAttention(q, k, v, { causal: true }),
      [x([1, 2, 4, 3]), x([1, 1, 4, 3]), x([1, 1, 4, 3])],
      backend,
    );
    await gradcheck(
      (q, k, v) =>
        T.scaledDotProductAttention(q, k, v, {
          keyPaddingMask: pads.get(q.backend),
          window: 2,
          causal: true,
          qOffset: 1,
        }),
      [x([1, 2, 3, 3]), x([1, 2, 4, 3]), x([1, 2, 4, 2])],
      backend,
    );
  });

  it('rejects mismatched shapes with a clear error', () => {
    const q = T.zeros([1, 3, 4, 8], { backend });
    const k = T.zeros([1, 2, 4, 8], { backend });
    expect(() => T.scaledDotProductAttention(q, k, k)).toThrow(
      /query heads 3 must be a multiple of key\/value heads 2/,
    );
    expect(() => T.scaledDotProductAttention(q, T.zeros([1, 3, 4, 4], { backend }), q)).toThrow(
      /head dims differ \(8 vs 4\)/,
    );
  });
});
