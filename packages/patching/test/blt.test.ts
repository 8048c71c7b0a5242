// The BLT model: shapes, strict causality across patches, which patch each byte's decoder reads,
// gradients everywhere, learning, incremental decoding and generation, memory.
import { mobyDick } from '@tessera/corpora';
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import {
  type BltConfig,
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
// Two queries per patch, cross-attention after both encoder layers and before both decoder layers.
const config: BltConfig = {
  dimLocal: 16,
  dimGlobal: 24,
  encoderLayers: 2,
  globalLayers: 1,
  decoderLayers: 2,
  encoderHeads: 2,
  decoderHeads: 4,
  globalHeads: 2,
  window: 8,
  maxSeq: 64,
  crossAttnK: 2,
  crossAttnHeads: 2,
  crossAttnAllLayersEncoder: true,
  hash: { functions: 1, groupSizes: [3, 4], vocab: 101 },
  multipleOf: 8,
};

async function logitsOf(model: BltModel, ids: number[], starts: number[], backend: T.Backend) {
  const input = T.tensor([ids], { dtype: 'i32', backend });
  const logits = T.noGrad(() => model.forward(input, [starts]));
  expect(logits.shape).toEqual([1, ids.length, 260]);
  const d = (await logits.data()) as Float32Array;
  logits.dispose();
  input.dispose();
  return d;
}

describe.each(list)('BLT model on %s', (_name, backend) => {
  it('gives logits whose position t depends on ids ≤ t only, across patch boundaries', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(1) });
    const a = [...encodeBytes('the whale and the sea', { eos: false })];
    const starts = [...spacePatches(a).starts];
    const base = await logitsOf(model, a, starts, backend);
    for (const t of [3, 9, 15]) {
      const b = [...a];
      b[t] = ((b[t] + 37) % 256) + 4;
      const changed = await logitsOf(model, b, starts, backend);
      let before = 0;
      let after = 0;
      for (let i = 0; i < a.length * 260; i++) {
        const diff = Math.abs(changed[i] - base[i]);
        if (i < t * 260) before = Math.max(before, diff);
        else after = Math.max(after, diff);
      }
      expect(before, `changing id ${t} leaks backwards`).toBeLessThan(1e-5);
      expect(after).toBeGreaterThan(1e-4);
    }
    model.dispose();
  });

  it("reads a patch from its last byte on once the next id starts a new one (the reference's include_next_token)", async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(3) });
    const ids = [...encodeBytes('Call me Ishmael', { eos: false })];
    const S = ids.length;
    const open = await logitsOf(model, ids, [0, 1, 5, 8], backend);
    const closed = await logitsOf(model, ids, [0, 1, 5, 8, S], backend);
    // Only the last byte's decoder changes: it now reads its own patch 8..S−1 instead of 5..7.
    expectClose(closed.subarray(0, (S - 1) * 260), open.subarray(0, (S - 1) * 260), 0, 1e-6, 'earlier bytes');
    const last = (d: Float32Array) => d.subarray((S - 1) * 260);
    expect(Math.max(...last(closed).map((v, i) => Math.abs(v - last(open)[i])))).toBeGreaterThan(1e-3);
    // Byte 4 ends patch 1..4 (5 starts) and so reads it; byte 3 still reads the BOS patch.
    const moved = await logitsOf(model, ids, [0, 1, 6, 8, S], backend);
    const row = (d: Float32Array, t: number) => d.subarray(t * 260, (t + 1) * 260);
    expectClose(row(moved, 3), row(closed, 3), 0, 1e-6, 'byte 3');
    expect(Math.max(...row(moved, 4).map((v, i) => Math.abs(v - row(closed, 4)[i])))).toBeGreaterThan(1e-3);
    model.dispose();
  });

  it('sends gradients to every parameter and learns bytes (loss falls)', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(2) });
    const text = mobyDick().subarray(10_000, 10_000 + 4 * 33);
    const rows = [0, 1, 2, 3].map((r) => [1, ...[...text.subarray(r * 33, r * 33 + 32)].map((b) => b + 4)]);
    const ids = T.tensor(rows, { dtype: 'i32', backend });
    // Patches over all 33 ids, so a start at 32 (the target's position) closes the last patch.
    const starts = rows.map((r, i) => [...(i % 2 ? spacePatches(r) : staticPatches(33, 4)).starts]);
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
  }, 180_000); // 25 training steps on llvmpipe take ~40 s on 2 idle cores, more on a loaded machine

  it('refuses bad ids and patches that do not cover the row, changing nothing', () => {
    const model = new BltModel(config, { backend });
    const ids = T.tensor([[1, 5, 6, 7]], { dtype: 'i32', backend });
    const before = T.memory(backend).liveTensors;
    expect(() => model.forward(ids, [[1, 2]])).toThrow(/row 0 must start a patch at 0/);
    expect(() => model.forward(ids, [[0, 2, 2]])).toThrow(/starts must ascend within 0\.\.4, got 2 after 2/);
    expect(() => model.forward(ids, [[0, 5]])).toThrow(/within 0\.\.4, got 5/);
    expect(() => model.forward(ids, [])).toThrow(/one row per batch row \(1\), got 0/);
    const floats = T.zeros([1, 4], { backend });
    expect(() => model.forward(floats, [[0]])).toThrow(/ids must be i32 \[batch, seq\], got f32 \[1, 4\]/);
    const long = T.zeros([1, 65], { dtype: 'i32', backend });
    expect(() => model.forward(long, [[0]])).toThrow(/65 ids exceed maxSeq 64/);
    expect(T.memory(backend).liveTensors).toBe(before + 2);
    const few = new BltModel({ ...config, maxPatches: 2 }, { backend });
    const at = T.memory(backend).liveTensors;
    expect(() => few.forward(ids, [[0, 1, 2]])).toThrow(/3 patches exceed maxPatches 2/);
    expect(T.memory(backend).liveTensors).toBe(at);
    few.dispose();
    for (const t of [ids, floats, long]) t.dispose();
    model.dispose();
  });

  it('frees everything it allocates: training steps and a stream leave no tensor behind', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(6) });
    const ids = T.tensor([[1, 40, 41, 36, 50, 52, 36, 49, 60]], { dtype: 'i32', backend });
    const opt = new AdamW(model.parameters(), { lr: 1e-3 });
    const step = async () => {
      opt.zeroGrad();
      const l = T.tidy(() => {
        const loss = model.loss(ids, [[0, 1, 4, 7]]);
        loss.backward();
        return loss;
      });
      opt.step();
      await l.item();
      l.dispose();
      const stream = new BltStream(model);
      for (let t = 0; t < 8; t++) await stream.push(40 + t, t % 3 === 0);
      stream.dispose();
    };
    await step(); // optimizer state exists from here on
    const before = T.memory(backend);
    for (let i = 0; i < 3; i++) await step();
    expect(T.memory(backend).liveTensors).toBe(before.liveTensors);
    expect(T.memory(backend).liveBuffers).toBe(before.liveBuffers);
    opt.dispose();
    ids.dispose();
    model.dispose();
  });
});

describe.each(list)('BLT incremental decoding on %s', (_name, backend) => {
  it('gives the batch logits id by id, each finished patch entering the latent transformer once', async () => {
    const model = new BltModel(config, { backend, generator: new T.Generator(4) });
    const ids = [...encodeBytes('Call me Ishmael. Some years ago', { eos: false })];
    const S = ids.length;
    // Space patches over S + 1 ids: the start at S (if any) closes the last patch.
    const starts = [...spacePatches([...ids, 36]).starts];
    const batch = await logitsOf(model, ids, starts, backend);
    const stream = new BltStream(model);
    for (let t = 0; t < S; t++) {
      const logits = await stream.push(ids[t], starts.includes(t + 1));
      expectClose(logits, batch.subarray(t * 260, (t + 1) * 260), 1e-4, 1e-4, `position ${t}`);
    }
    await expect(stream.push(300, false)).rejects.toThrow(/id must be an integer in 0\.\.259, got 300/);
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

  it('refuses configurations the reference cannot run, naming the field', () => {
    const bad = (patch: Partial<BltConfig>) => () => new BltModel({ ...config, ...patch }, { backend });
    expect(bad({ dimGlobal: 16 })).toThrow(/crossAttnK 2 needs dimGlobal ≠ dimLocal/);
    expect(bad({ encoderHeads: 3 })).toThrow(/dimLocal 16 must be encoderHeads 3 × an even head size/);
    expect(bad({ kvHeadsLocal: 3 })).toThrow(/kvHeadsLocal must divide 2 and 4 heads, got 3/);
    expect(bad({ window: -1 })).toThrow(/window must be an integer ≥ 0/);
    expect(bad({ pooling: 'sum' as 'max' })).toThrow(/pooling must be 'max', 'avg' or 'min', got 'sum'/);
    expect(bad({ crossAttnHeads: 5 })).toThrow(PatchingError);
  });
});
