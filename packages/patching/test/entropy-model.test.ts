// The entropy model against the reference's own form in PyTorch (fixture), incremental = batch.
import { readFileSync } from 'node:fs';
import { readSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import {
  byteEntropies,
  EntropyModel,
  EntropyStream,
  fromReferenceNames,
  PatchingError,
} from '../src/index.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/entropy_reference.json', import.meta.url), 'utf8'));
const weights = readSafetensors(
  readFileSync(new URL('./fixtures/entropy_reference.safetensors', import.meta.url)),
  {
    backend: T.cpuBackend,
  },
);
const list = await backends();

async function referenceModel(backend: T.Backend): Promise<EntropyModel> {
  const host: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [k, t] of Object.entries(weights))
    host[k] = { data: (await t.data()) as Float32Array, shape: [...t.shape] };
  const model = new EntropyModel(fx.config, { backend });
  const converted = fromReferenceNames(host, fx.config);
  const tensors = Object.fromEntries(
    Object.entries(converted).map(([k, v]) => [k, T.tensor(v.data, { shape: v.shape, backend })]),
  );
  model.loadStateDict(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  return model;
}

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
