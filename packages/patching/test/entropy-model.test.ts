// The entropy model against the reference's own form in PyTorch (fixture), incremental = batch.
import { readFileSync } from 'node:fs';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import { rng } from '../../tensor/test/helpers.js';
import {
  byteEntropies,
  EntropyModel,
  EntropyStream,
  entropyConfigFromReference,
  fromReferenceNames,
  loadReferenceEntropyModel,
  PatchingError,
} from '../src/index.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/entropy_reference.json', import.meta.url), 'utf8'));
const weights = readFileSync(new URL('./fixtures/entropy_reference.safetensors', import.meta.url));
const list = await backends();

/** The fixture's model loaded the way a released one is: params.json + weights in the reference's names. */
const referenceModel = (backend: T.Backend): Promise<EntropyModel> =>
  loadReferenceEntropyModel(weights, fx.params, { backend });

describe.each(list)('entropy model on %s', (_name, backend) => {
  it('loads reference weights (renamed, RoPE rows permuted) and gives PyTorch’s logits and entropies', async () => {
    const model = await referenceModel(backend);
    const ids = T.tensor(fx.ids, { dtype: 'i32', backend });
    const logits = T.noGrad(() => model.forward(ids));
    const row0 = (await T.narrow(logits, 0, 0, 1).data()) as Float32Array;
    expectClose(row0, fx.logitsRow0, 1e-4, 1e-4, 'logits');
    const h = model.entropies(ids);
    expectClose((await h.data()) as Float32Array, fx.entropies, 1e-4, 1e-4, 'entropies');
    for (const t of [ids, logits, h]) t.dispose();
    model.dispose();
  });

  it('streams bytes through KV caches with the same entropies as the batch, resets included', async () => {
    const model = new EntropyModel(
      { dim: 16, layers: 1, heads: 2, window: 8, maxSeq: 12 },
      { backend, generator: new T.Generator(2) },
    );
    const text = new TextEncoder().encode('first line\nsecond, longer line of text\nend');
    for (const resetAtNewlines of [false, true]) {
      const batch = await byteEntropies(model, text, { resetAtNewlines, batchSize: 3 });
      const stream = new EntropyStream(model, { resetAtNewlines });
      const parts: Float32Array[] = [];
      for (const [a, b] of [
        [0, 5],
        [5, 6],
        [6, 30],
        [30, text.length],
      ])
        parts.push(await stream.push(text.subarray(a, b)));
      stream.dispose();
      const streamed = Float32Array.from(parts.flatMap((p) => [...p]));
      expect(streamed.length).toBe(text.length + 1);
      expectClose(streamed, batch, 1e-4, 1e-5, `reset ${resetAtNewlines}`);
    }
    model.dispose();
  });

  it('reads the reference params.json as its loader does, refusing malformed ones by name', () => {
    expect(entropyConfigFromReference(fx.params)).toEqual(fx.config);
    const released = {
      entropy_model: {
        dim: 768,
        n_layers: 14,
        n_heads: 12,
        max_seqlen: 8192,
        vocab_size: 260,
        ffn_dim_multiplier: 1,
      },
    };
    expect(entropyConfigFromReference(released)).toMatchObject({ window: 512, hidden: 2048, layers: 14 });
    const bad = (patch: Record<string, unknown>) => () =>
      entropyConfigFromReference({ entropy_model: { ...fx.params.entropy_model, ...patch } });
    expect(bad({ vocab_size: 256 })).toThrow(/vocab_size must be 260, got 256/);
    expect(bad({ dim: '32' })).toThrow(/'dim' must be a positive integer, got "32"/);
    expect(bad({ n_heads: 3 })).toThrow(/dim 32 must be n_heads 3 × an even head size/);
    expect(bad({ ffn_dim_multiplier: -1 })).toThrow(/'ffn_dim_multiplier' must be a positive number, got -1/);
    // Fuzz: any mutation parses to a config of positive numbers or throws PatchingError, nothing
    // else; both outcomes must occur often, or the fuzz exercised only one side of the checks.
    const keys = Object.keys(fx.params.entropy_model);
    const values = [null, undefined, -1, 0, 0.5, 2, 7, 1e9, Number.NaN, 'x', true, [], {}];
    const rand = rng(12345);
    const tally = { parsed: 0, rejected: 0, other: [] as string[] };
    for (let i = 0; i < 2000; i++) {
      const m = { ...fx.params.entropy_model };
      for (let j = 0; j < 2; j++)
        m[keys[Math.floor(rand() * keys.length)]] = values[Math.floor(rand() * values.length)];
      let c: ReturnType<typeof entropyConfigFromReference>;
      try {
        c = entropyConfigFromReference(rand() < 0.5 ? { entropy_model: m } : m);
      } catch (e) {
        if (e instanceof PatchingError) {
          tally.rejected++;
          // Each refusal names the field (or the head-size rule) and the value it got.
          expect((e as Error).message, `case ${i}`).toMatch(
            /^entropyConfigFromReference: ('\w+' must be a positive (integer|number), got |vocab_size must be 260, got |dim \d+ must be n_heads \d+ × an even head size)/,
          );
        } else tally.other.push(`case ${i} ${JSON.stringify(m)}: ${e}`);
        continue;
      }
      tally.parsed++;
      for (const [k, v] of Object.entries(c)) expect(v, `case ${i}: ${k}`).toBeGreaterThan(0);
      expect(Number.isInteger(c.dim / c.heads / 2), `case ${i}: even head size`).toBe(true);
    }
    expect(tally.other).toEqual([]);
    // At this seed 230 mutations parse and 1,770 are refused: two random fields rarely stay
    // consistent (dim a multiple of 2·n_heads, integers where integers belong).
    expect(tally.parsed).toBeGreaterThan(150);
    expect(tally.rejected).toBeGreaterThan(1000);
  });

  it('refuses weights of another configuration', () => {
    expect(() => new EntropyModel({ dim: 30, layers: 1, heads: 4, window: 8, maxSeq: 8 })).toThrow(
      PatchingError,
    );
    expect(() =>
      fromReferenceNames(
        { 'layers.0.attention.wz.weight': { data: new Float32Array(4), shape: [2, 2] } },
        fx.config,
      ),
    ).toThrow(/'layers\.0\.attention\.wz\.weight' is not a parameter of the reference entropy model/);
  });
});
