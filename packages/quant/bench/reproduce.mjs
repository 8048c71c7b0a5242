// QLoRA's claims at small scale on real text (arXiv 2305.14314, §3–5), as one function that the
// benchmark runs at full size and a test runs small:
//  1. quantization error on Gaussian data and on a trained byte LM's weights: NF4 < Int4 < FP4;
//  2. that LM quantized each way: held-out bits-per-byte degrades in the same order; memory per model;
//  3. fine-tuning it to a new domain (TypeScript declarations) with QLoRA (NF4 + double quantization,
//     LoRA on every linear layer but the head, paged AdamW) ends within 2% of full 32-bit fine-tuning
//     and of 32-bit LoRA in held-out bits-per-byte; peak backend memory of each.
import { mobyDick, typescriptLib } from '@tessera/corpora';
import {
  AdamW,
  ByteLoader,
  bitsPerByte,
  CausalLM,
  Linear,
  PagedAdamW,
  splitBytes,
  trainSteps,
} from '@tessera/nn';
import { applyLora, Linear4bit, loraParameters, quantizeModel } from '@tessera/quant';
import * as T from '@tessera/tensor';
import { blockKurtosis, predictedInt4OverNf4, relativeMse } from './shape.mjs';

const TYPES = ['nf4', 'int4', 'fp4'];

/** Standard normal samples from a seeded generator, on the host. */
async function gaussian(n, seed) {
  const t = T.randn([n], { backend: T.cpuBackend, generator: new T.Generator(seed) });
  const d = await t.data();
  t.dispose();
  return d;
}

/** The weights of a model as host arrays, so each arm starts from its own copy (and memory is its own). */
async function hostState(model) {
  const out = {};
  for (const [k, t] of Object.entries(model.stateDict()))
    out[k] = { data: await t.data(), shape: [...t.shape] };
  return out;
}

function modelFrom(state, config, backend) {
  const m = new CausalLM(config, { backend, generator: new T.Generator(0) });
  const tensors = Object.fromEntries(
    Object.entries(state).map(([k, v]) => [k, T.tensor(v.data, { shape: v.shape, backend })]),
  );
  m.loadStateDict(tensors);
  for (const t of Object.values(tensors)) t.dispose();
  return m;
}

/** Unfreezes the embedding and the output head and returns their weights. */
function unfrozenEnds(model) {
  return [model.model.embed_tokens, model.lm_head].map((l) => {
    l.setRequiresGrad(true);
    return l.weight;
  });
}

/** Backend bytes of a model's weights (4-bit layers at their packed size). */
function modelBytes(model) {
  let bytes = 0;
  for (const [, m] of model.namedModules()) if (m instanceof Linear4bit) bytes += m.weight.bytes;
  for (const p of model.parameters()) bytes += p.size * 4;
  return bytes;
}

/**
 * Runs the three experiments and returns their figures.
 * @param {{ backend: object, config: object, seq: number, batch: number, pretrainSteps: number,
 *   finetuneSteps: number, lr: { pretrain: number, full: number, lora: number }, lora: { r: number, alpha: number },
 *   evalWindows: number, log?: (s: string) => void }} o
 */
export async function reproduce(o) {
  const log = o.log ?? (() => {});
  const { backend, config, seq, batch } = o;
  const eval_ = (model, bytes) =>
    bitsPerByte(model, bytes, { seqLen: seq, batchSize: 8, maxWindows: o.evalWindows, backend });
  const novel = splitBytes(mobyDick(), 0.05);
  const code = splitBytes(typescriptLib(), 0.1);

  // A byte LM pre-trained on the novel, initialised as Hugging Face LLaMA does (N(0, 0.02) linears),
  // so its weights are as bell-shaped as a real LLM's.
  const base = new CausalLM(config, { backend, generator: new T.Generator(0) });
  T.noGrad(() => {
    for (const [, m] of base.namedModules())
      if (m instanceof Linear)
        m.weight.assign(
          T.mul(T.randn([...m.weight.shape], { backend, generator: new T.Generator(1) }), 0.02),
        );
  });
  const t0 = performance.now();
  await trainSteps(
    base,
    new AdamW(base.parameters(), { lr: o.lr.pretrain, weightDecay: o.weightDecay ?? 0 }),
    new ByteLoader(novel.train, batch, seq, { seed: 0, backend }),
    {
      steps: o.pretrainSteps,
      clip: 1,
    },
  );
  log(`pre-trained ${o.pretrainSteps} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const state = await hostState(base);
  base.dispose();

  // 1. Quantization error.
  const normal = await gaussian(1 << 16, 7);
  const linears = Object.entries(state).filter(
    ([k, v]) => v.shape.length === 2 && !k.includes('embed_tokens'),
  );
  const kurtosis = blockKurtosis(linears.map(([, v]) => v.data));
  // What the weights' shape predicts for Int4 against NF4 (see shape.mjs).
  const error = { gaussian: {}, weights: {}, kurtosis, predicted: predictedInt4OverNf4(kurtosis) };
  for (const type of TYPES) {
    for (const dq of [false, true]) {
      const key = `${type}${dq ? '+dq' : ''}`;
      error.gaussian[key] = relativeMse(normal, type, dq).rel;
      let se = 0;
      let sx = 0;
      for (const [, v] of linears) {
        const r = relativeMse(v.data, type, dq);
        se += r.se;
        sx += r.sx;
      }
      error.weights[key] = se / sx;
    }
  }
  log(`relative MSE: ${JSON.stringify(error)}`);

  // 2. The pre-trained LM quantized each way (all linear layers but the head, block 64).
  const quality = {};
  {
    const m = modelFrom(state, config, backend);
    quality.f32 = { bpb: await eval_(m, novel.test), bytes: modelBytes(m) };
    m.dispose();
  }
  for (const type of TYPES) {
    for (const doubleQuant of [false, true]) {
      const m = modelFrom(state, config, backend);
      await quantizeModel(m, { type, blockSize: 64, doubleQuant });
      quality[`${type}${doubleQuant ? '+dq' : ''}`] = {
        bpb: await eval_(m, novel.test),
        bytes: modelBytes(m),
      };
      m.dispose();
    }
  }
  log(`held-out bpb on the novel: ${JSON.stringify(quality)}`);

  // 3. Fine-tuning to code: full f32, f32 LoRA, QLoRA — same data order, same steps.
  const finetune = {};
  const arms = {
    full: async (m) => new AdamW(m.parameters(), { lr: o.lr.full, weightDecay: 0 }),
    lora: async (m) => {
      applyLora(m, { ...o.lora, seed: 3 });
      return new AdamW(loraParameters(m), { lr: o.lr.lora, weightDecay: 0 });
    },
    qlora: async (m) => {
      await quantizeModel(m, { type: 'nf4', blockSize: 64, doubleQuant: true });
      applyLora(m, { ...o.lora, seed: 3 });
      return new PagedAdamW(loraParameters(m), { lr: o.lr.lora, weightDecay: 0, pageThreshold: 1024 });
    },
    // PEFT's modules_to_save for a new domain: the byte embedding and the head train in f32 too.
    'lora+emb': async (m) => {
      applyLora(m, { ...o.lora, seed: 3 });
      return new AdamW([...loraParameters(m), ...unfrozenEnds(m)], { lr: o.lr.lora, weightDecay: 0 });
    },
    'qlora+emb': async (m) => {
      await quantizeModel(m, { type: 'nf4', blockSize: 64, doubleQuant: true });
      applyLora(m, { ...o.lora, seed: 3 });
      return new PagedAdamW([...loraParameters(m), ...unfrozenEnds(m)], {
        lr: o.lr.lora,
        weightDecay: 0,
        pageThreshold: 1024,
      });
    },
  };
  for (const [name, setup] of Object.entries(arms)) {
    const baseline = backend.memoryBytes().live;
    const m = modelFrom(state, config, backend);
    const opt = await setup(m);
    const before = await eval_(m, code.test);
    const weights = backend.memoryBytes().live - baseline;
    backend.resetPeakBytes();
    const t1 = performance.now();
    await trainSteps(m, opt, new ByteLoader(code.train, batch, seq, { seed: 1, backend }), {
      steps: o.finetuneSteps,
      clip: 1,
    });
    const seconds = (performance.now() - t1) / 1000;
    const { live, peak } = backend.memoryBytes();
    finetune[name] = {
      before,
      after: await eval_(m, code.test),
      // Backend bytes above what was live before the arm: its weights, then weights + gradients +
      // resident optimizer state after training, and the peak during training (activations too).
      weightBytes: weights,
      residentBytes: live - baseline,
      peakBytes: peak - baseline,
      trainable: opt.params.reduce((n, p) => n + p.size, 0),
      seconds,
    };
    log(`${name}: ${JSON.stringify(finetune[name])}`);
    opt.dispose();
    m.dispose();
  }
  return { error, quality, finetune, data: { novel: novel.train.byteLength, code: code.train.byteLength } };
}
