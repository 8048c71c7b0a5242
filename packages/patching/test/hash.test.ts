// Hash n-gram ids against PyTorch running the reference formula, on both backends.
import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends } from '../../nn/test/helpers.js';
import { HashNgramEmbedding, hashIdsReference, hashNgrams, PatchingError } from '../src/index.js';

interface Case {
  rows: number;
  seq: number;
  functions: number;
  vocab: number;
  ids: number[];
  hashes: Record<string, number[]>;
}
const fixture: { cases: Case[] } = JSON.parse(
  readFileSync(new URL('./fixtures/hash.json', import.meta.url), 'utf8'),
);
const list = await backends();

describe('hash n-gram ids: the BigInt reference', () => {
  it('equals PyTorch int64 arithmetic for every function, n = 1..8, both vocab sizes', () => {
    for (const c of fixture.cases)
      for (const [key, want] of Object.entries(c.hashes)) {
        const [f, n] = key.split(':').map(Number);
        expect([...hashIdsReference(c.ids, c.rows, f, n, c.vocab)], `${key} V=${c.vocab}`).toEqual(want);
      }
  });
});

describe.each(list)('hash n-gram ids on %s', (_name, backend) => {
  it('gives the fixture ids for all tables at once (WebGPU: int64 as u32 pairs)', async () => {
    for (const c of fixture.cases) {
      const groupSizes = [1, 2, 3, 4, 5, 6, 7, 8];
      const ids = T.tensor(c.ids, { shape: [c.rows, c.seq], dtype: 'i32', backend });
      const h = hashNgrams(ids, { functions: c.functions, groupSizes, vocab: c.vocab });
      expect(h.shape).toEqual([c.functions * 8, c.rows, c.seq]);
      const got = (await h.data()) as Int32Array;
      const per = c.rows * c.seq;
      for (let f = 0; f < c.functions; f++)
        for (const n of groupSizes) {
          const k = f * 8 + n - 1;
          expect([...got.subarray(k * per, (k + 1) * per)], `f=${f} n=${n} V=${c.vocab}`).toEqual(
            c.hashes[`${f}:${n}`],
          );
        }
      ids.dispose();
      h.dispose();
    }
  });

  it('embeds as the sum of one table per (function, size), with the reference names', async () => {
    const config = { functions: 2, groupSizes: [3, 4], vocab: 50 };
    const emb = new HashNgramEmbedding(config, 8, { backend, generator: new T.Generator(1) });
    expect(Object.keys(emb.stateDict())).toEqual(['0.weight', '1.weight', '2.weight', '3.weight']);
    const ids = T.tensor([[1, 70, 71, 72, 73]], { dtype: 'i32', backend });
    const out = emb.forward(ids);
    const hashes = (await hashNgrams(ids, config).data()) as Int32Array;
    const tables = await Promise.all(emb.tables.map(async (t) => (await t.weight.data()) as Float32Array));
    const got = (await out.data()) as Float32Array;
    for (let t = 0; t < 5; t++)
      for (let d = 0; d < 8; d++) {
        let want = 0;
        for (let k = 0; k < 4; k++) want += tables[k][hashes[k * 5 + t] * 8 + d];
        expect(got[t * 8 + d]).toBeCloseTo(want, 5);
      }
    for (const x of [ids, out]) x.dispose();
    emb.dispose();
  });

  it('refuses bad configurations and ids', () => {
    const ids = T.tensor([[1, 2]], { dtype: 'i32', backend });
    expect(() => hashNgrams(ids, { functions: 12, groupSizes: [3], vocab: 10 })).toThrow(PatchingError);
    expect(() => hashNgrams(ids, { functions: 1, groupSizes: [9], vocab: 10 })).toThrow(
      /group sizes must be integers in 1..8, got 9/,
    );
    expect(() => hashNgrams(ids, { functions: 1, groupSizes: [3], vocab: 2 ** 25 })).toThrow(/vocab must be/);
    const f = T.tensor([[1, 2]], { backend });
    expect(() => hashNgrams(f, { functions: 1, groupSizes: [3], vocab: 10 })).toThrow(
      /ids must be i32, got f32/,
    );
    ids.dispose();
    f.dispose();
  });
});
