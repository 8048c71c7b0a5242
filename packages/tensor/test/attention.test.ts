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

describe.each(list)('document (segment) masks on %s', (_name, backend) => {
  const r = rng(73);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const pick = <X>(xs: readonly X[]): X => xs[Math.floor(r() * xs.length)];

  /** One row of document ids: packed runs (sorted, as in packed sequences) or ids in any order. */
  const docRow = (n: number): number[] => {
    if (r() < 0.3) return Array.from({ length: n }, () => pick([-3, 0, 7, 100000]));
    const row: number[] = [];
    for (let id = int(0, 3); row.length < n; id++) row.push(...Array(int(1, 12)).fill(id));
    return row.slice(0, n);
  };
  const ids = (rows: number[][], b = backend) => T.tensor(rows, { dtype: 'i32', backend: b });

  type Case = { q: number[]; kv: number[]; opts: T.AttentionOptions };
  /** Random cases: Sq off the kernel's tiles, Sk up to 70, head dims 4 and 16, grouped-query heads. */
  const randomCases = (n: number): Case[] =>
    Array.from({ length: n }, (_, c) => {
      const Sq = [1, 5, 37, 70][c % 4];
      const qOffset = r() < 0.4 ? 0 : int(0, 70 - Sq); // > 0: a KV cache, q the last Sq positions
      // Now and then keys past the last query too (allowed: qOffset + Sq <= Sk).
      const Sk = Math.min(70, qOffset + Sq + (r() < 0.3 ? int(1, 10) : 0));
      const [B, D] = [int(1, 2), pick([4, 16])];
      const [H, Hkv] = pick([
        [2, 2],
        [4, 2],
        [3, 1],
      ]);
      const opts: T.AttentionOptions = {
        segments: ids(Array.from({ length: B }, () => docRow(Sk))),
        causal: r() < 0.6,
        window: r() < 0.3 ? int(1, 10) : 0,
        qOffset,
      };
      if (r() < 0.4) {
        const pad = Array.from({ length: B }, () => Array.from({ length: Sk }, () => (r() < 0.2 ? 1 : 0)));
        opts.keyPaddingMask = T.tensor(pad, { dtype: 'u8', backend });
      }
      return { q: [B, H, Sq, D], kv: [B, Hkv, Sk, D], opts };
    });
  const describeCase = ({ q, kv, opts }: Case) =>
    `q ${q} kv ${kv} causal ${opts.causal} window ${opts.window} qOffset ${opts.qOffset} padded ${!!opts.keyPaddingMask}`;

  it('matches the composite reference on random shapes, masks and offsets', async () => {
    for (const c of randomCases(24)) {
      const q = randomTensor(r, c.q, backend);
      const k = randomTensor(r, c.kv, backend);
      const v = randomTensor(r, c.kv, backend);
      const fused = T.scaledDotProductAttention(q, k, v, c.opts);
      const ref = T.attentionReference(q, k, v, c.opts);
      expectClose(await fused.data(), await ref.data(), 1e-5, 1e-5, describeCase(c));
    }
  });

  it('gradients match those of the composite reference', async () => {
    for (const c of randomCases(8)) {
      const x = [c.q, c.kv, c.kv].map((s) => randomTensor(r, s, backend));
      const w = randomTensor(r, [...c.q], backend);
      const loss = (f: typeof T.attentionReference) => (q: T.Tensor, k: T.Tensor, v: T.Tensor) =>
        T.sum(T.mul(f(q, k, v, c.opts), w));
      const fused = T.grad(loss(T.scaledDotProductAttention))(...x);
      const ref = T.grad(loss(T.attentionReference))(...x);
      for (const [i, name] of ['dq', 'dk', 'dv'].entries()) {
        expectClose(await fused[i].data(), await ref[i].data(), 1e-4, 1e-5, `${name} ${describeCase(c)}`);
      }
    }
  });

  it('gradients match finite differences (segments, padding, causal, KV cache)', async () => {
    const x = (shape: number[]) => randomInput(r, shape, -1, 1);
    const on = (b: T.Backend) => ({
      segments: ids([[0, 0, 1, 1, 1]], b),
      keyPaddingMask: T.tensor([[0, 0, 0, 1, 0]], { dtype: 'u8', backend: b }),
      causal: true,
      qOffset: 2,
    });
    const opts = new Map([backend, T.cpuBackend].map((b) => [b, on(b)]));
    await gradcheck(
      (q, k, v) => T.scaledDotProductAttention(q, k, v, opts.get(q.backend)),
      [x([1, 2, 3, 3]), x([1, 1, 5, 3]), x([1, 1, 5, 2])],
      backend,
    );
  });

  it('equals attending within each packed document separately', async () => {
    const lengths = [3, 6, 1, 7];
    const S = lengths.reduce((a, b) => a + b);
    const [q, k, v] = [0, 1, 2].map(() => randomTensor(r, [1, 2, S, 4], backend));
    const segments = ids([lengths.flatMap((n, d) => Array(n).fill(d))]);
    const packed = T.scaledDotProductAttention(q, k, v, { causal: true, segments });
    let start = 0;
    for (const n of lengths) {
      const [qd, kd, vd] = [q, k, v].map((t) => T.narrow(t, 2, start, n));
      const alone = await T.scaledDotProductAttention(qd, kd, vd, { causal: true }).data();
      const rows = await T.narrow(packed, 2, start, n).data();
      expectClose(rows, alone, 1e-5, 1e-6, `document at ${start}`);
      start += n;
    }
  });

  it('reads strided segments, and rows that differ per batch', async () => {
    // [Sk, B] laid out, viewed as [B, Sk].
    const segments = T.transpose(
      ids([
        [0, 5],
        [0, 5],
        [1, 5],
        [1, 6],
        [1, 6],
        [2, 6],
        [2, 6],
      ]),
      0,
      1,
    );
    const q = randomTensor(r, [2, 2, 4, 8], backend);
    const k = randomTensor(r, [2, 2, 7, 8], backend);
    const v = randomTensor(r, [2, 2, 7, 8], backend);
    const opts = { segments, qOffset: 3 };
    expectClose(
      await T.scaledDotProductAttention(q, k, v, opts).data(),
      await T.attentionReference(q, k, v, opts).data(),
      1e-5,
      1e-5,
    );
  });

  it('gives zeros to a query whose whole document is masked', async () => {
    const q = randomTensor(r, [2, 2, 6, 8], backend);
    const k = randomTensor(r, [2, 2, 6, 8], backend);
    const v = randomTensor(r, [2, 2, 6, 8], backend);
    const segments = ids([
      [0, 0, 1, 1, 1, 2],
      [4, 4, 4, 4, 9, 9],
    ]);
    // Batch 0: document 1 is all padding; batch 1: document 9 is.
    const pad = T.tensor(
      [
        [0, 0, 1, 1, 1, 0],
        [0, 1, 0, 0, 1, 1],
      ],
      { dtype: 'u8', backend },
    );
    const opts = { segments, keyPaddingMask: pad, causal: true };
    const out = T.scaledDotProductAttention(q, k, v, opts);
    expectClose(await out.data(), await T.attentionReference(q, k, v, opts).data(), 1e-5, 1e-5);
    const rows = (b: number) => T.slice(out, [b, null, { start: b === 0 ? 2 : 4, end: b === 0 ? 5 : 6 }]);
    for (const b of [0, 1]) expect([...(await rows(b).data())].every((x) => x === 0)).toBe(true);
    // The other rows still see their own documents.
    expect([...(await T.slice(out, [0, null, 0]).data())].some((x) => x !== 0)).toBe(true);
  });

  it('rejects segments of the wrong dtype or shape, and queries past the keys', () => {
    const q = T.zeros([2, 2, 4, 8], { backend });
    const k = T.zeros([2, 2, 6, 8], { backend });
    const attend = (opts: T.AttentionOptions) => () => T.scaledDotProductAttention(q, k, k, opts);
    const seg = (shape: number[], dtype: T.DType = 'i32') => T.zeros(shape, { dtype, backend });
    expect(attend({ segments: seg([2, 6], 'u8') })).toThrow(T.DTypeError);
    expect(attend({ segments: seg([2, 6], 'f32') })).toThrow(
      /segments must be i32 \[2, 6\] \(a document id per key\), got f32\[2, 6\]/,
    );
    expect(attend({ segments: seg([2, 5]) })).toThrow(T.ShapeError);
    expect(attend({ segments: seg([2, 5]) })).toThrow(/segments must be i32 \[2, 6\].*got i32\[2, 5\]/);
    expect(attend({ segments: seg([6]) })).toThrow(/segments must be i32 \[2, 6\].*got i32\[6\]/);
    expect(attend({ segments: seg([1, 6]) })).toThrow(/got i32\[1, 6\]/);
    expect(attend({ segments: seg([2, 6]), qOffset: 3 })).toThrow(T.ShapeError);
    expect(attend({ segments: seg([2, 6]), qOffset: 3 })).toThrow(
      /q \[2, 2, 4, 8\], k \[2, 2, 6, 8\], v \[2, 2, 6, 8\]: segments need qOffset \+ Sq <= Sk .*got 3 \+ 4 > 6/,
    );
    const wide = T.zeros([2, 2, 7, 8], { backend });
    expect(() => T.scaledDotProductAttention(wide, k, k, { segments: seg([2, 6]) })).toThrow(
      /got 0 \+ 7 > 6/,
    );
    // Without segments the same offset stays allowed (cross-attention positions are free).
    expect(attend({ qOffset: 3 })).not.toThrow();
  });
});
