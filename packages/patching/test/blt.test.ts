// The BLT model: shapes, strict causality across patches, gradients everywhere, and learning.
import { mobyDick } from '@tessera/corpora';
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import {
  BltModel,
  BltStream,
  byteEntropies,
  encodeBytes,
  entropyPatches,
  generateBlt,
  PatchingError,
  spacePatches,
  staticPatches,
  tinyEntropyModel,
} from '../src/index.js';

const list = await backends();
const config = {
  dimLocal: 16,
  dimGlobal: 24,
  headsLocal: 2,
  headsGlobal: 2,
  encoderLayers: 1,
  globalLayers: 1,
  decoderLayers: 2,
  window: 8,
  maxSeq: 64,
  hash: { functions: 1, groupSizes: [3, 4], vocab: 101 },
};

describe.each(list)('BLT model on %s', (_name, backend) => {
  it('gives logits whose position t depends on bytes ≤ t only, across patch boundaries', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(1) });
    const a = [...encodeBytes('the whale and the sea', { eos: false })];
    const starts = [...spacePatches(a).starts];
    const run = async (ids: number[]) => {
      const logits = T.noGrad(() => model.forward(T.tensor([ids], { dtype: 'i32', backend }), [starts]));
      expect(logits.shape).toEqual([1, ids.length, 260]);
      const d = (await logits.data()) as Float32Array;
      logits.dispose();
      return d;
    };
    const base = await run(a);
    for (const t of [3, 9, 15]) {
      const b = [...a];
      b[t] = ((b[t] + 37) % 256) + 4;
      const changed = await run(b);
      let before = 0;
      let after = 0;
      for (let i = 0; i < a.length * 260; i++) {
        const diff = Math.abs(changed[i] - base[i]);
        if (i < t * 260) before = Math.max(before, diff);
        else after = Math.max(after, diff);
      }
      expect(before, `changing byte ${t} leaks backwards`).toBeLessThan(1e-5);
      expect(after).toBeGreaterThan(1e-4);
    }
    model.dispose();
  });

  it('sends gradients to every parameter and learns bytes (loss falls)', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(2) });
    const text = mobyDick().subarray(10_000, 10_000 + 4 * 33);
    const rows = [0, 1, 2, 3].map((r) => [1, ...[...text.subarray(r * 33, r * 33 + 32)].map((b) => b + 4)]);
    const ids = T.tensor(rows, { dtype: 'i32', backend });
    const starts = rows.map((r, i) => [
      ...(i % 2 ? spacePatches(r.slice(0, 32)) : staticPatches(32, 4)).starts,
    ]);
    const opt = new AdamW(model.parameters(), { lr: 1e-2, weightDecay: 0 });
    const losses: number[] = [];
    for (let step = 0; step < 25; step++) {
      opt.zeroGrad();
      const loss = T.tidy(() => {
        const l = model.loss(ids, starts);
        l.backward();
        return l;
      });
      if (step === 0)
        for (const [name, p] of model.namedParameters())
          expect(p.grad, `${name} has no gradient`).not.toBeNull();
      opt.step();
      losses.push(await loss.item());
      loss.dispose();
    }
    expect(losses[0]).toBeGreaterThan(5);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 1.5);
    opt.dispose();
    ids.dispose();
    model.dispose();
  });

  it('refuses patches that do not cover the row', () => {
    const model = new BltModel(config, { backend });
    const ids = T.tensor([[1, 5, 6, 7]], { dtype: 'i32', backend });
    expect(() => model.forward(ids, [[1, 2]])).toThrow(/row 0 must start a patch at 0/);
    expect(() => model.forward(ids, [[0, 2, 2]])).toThrow(PatchingError);
    expect(() => model.forward(ids, [])).toThrow(/one row per batch row \(1\), got 0/);
    ids.dispose();
    model.dispose();
  });
});

describe.each(list)('BLT incremental decoding on %s', (_name, backend) => {
  it('gives the batch logits byte by byte, each patch entering the latent transformer once', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(4) });
    const ids = [...encodeBytes('Call me Ishmael. Some years ago', { eos: false })];
    const starts = [...spacePatches(ids).starts];
    const full = T.noGrad(() => model.forward(T.tensor([ids], { dtype: 'i32', backend }), [starts]));
    const batch = (await full.data()) as Float32Array;
    full.dispose();
    const stream = new BltStream(model);
    for (let t = 0; t < ids.length; t++) {
      const logits = await stream.push(ids[t], starts.includes(t));
      expectClose(logits, batch.subarray(t * 260, (t + 1) * 260), 1e-4, 1e-4, `position ${t}`);
    }
    stream.dispose();
    model.dispose();
  });

  it('generates with incremental entropy patching equal to patching the final text', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(5) });
    const entropy = await tinyEntropyModel({ backend });
    const prompt = new TextEncoder().encode('The sea was ');
    const { bytes, starts } = await generateBlt(model, entropy, prompt, 12, { threshold: 1.8 });
    expect(bytes.length).toBe(12);
    const all = new Uint8Array([...prompt, ...bytes]);
    const e = await byteEntropies(entropy, all);
    expectClose(Float32Array.from(starts), entropyPatches(e, { threshold: 1.8 }).starts, 0, 0, 'starts');
    entropy.dispose();
    model.dispose();
  });
});
