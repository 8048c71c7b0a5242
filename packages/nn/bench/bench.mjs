// @tessera/nn on each of its backends against TensorFlow.js (cpu, wasm, webgpu) and jax-js (wasm,
// webgpu), the WebGPU peers on the same Dawn adapter, in one process: causal attention, one full
// training step (forward, backward, Adam update) of the same small transformer with the same
// weights, and the GPU dispatches one step of the demo's training loop issues.
// `pnpm --filter @tessera/nn bench` (BENCH_QUICK=1 for a short run).
import { QUICK, runSuite, time } from '@tessera/bench';
import { jaxLibrary, measureCases, tesseraLibrary, tfjsLibrary } from '@tessera/bench/ops';
import { tf } from '@tessera/bench/tfjs';
import { findAdapter } from '@tessera/gpu';
import { AdamW, CausalLM } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { demoStepDispatches } from './dispatches.mjs';
import { jaxCausalAttention, jaxTrainStep } from './jax-model.mjs';
import { lmTables } from './lm-tables.mjs';
import { tfjsTrainStep } from './tfjs-model.mjs';

const PKG = '@tessera/nn';
const ATT = { B: 2, H: 4, S: QUICK ? 128 : 256, D: 32 };
/** The demo's model and batch (apps/demo). */
const CFG = { vocabSize: 256, dim: 64, layers: 2, heads: 4, maxSeq: 65 };
const BATCH = 8;
const SEQ = 64;
const stepName = `train step LM dim ${CFG.dim} x${CFG.layers} layers, batch ${BATCH}x${SEQ}`;
const STEP_TIMING = { warmup: 1, minReps: 3 };
const ids = Array.from({ length: BATCH * (SEQ + 1) }, (_, i) => (i * 7919) % 256);

/** tfjs's causal mask as an additive −1e9 [S, S], made on each tfjs backend before its run. */
let tfjsMask;
const attention = {
  name: `attention causal ${ATT.B}x${ATT.H}x${ATT.S}x${ATT.D}`,
  shapes: [0, 1, 2].map(() => [ATT.B, ATT.H, ATT.S, ATT.D]),
  tessera: (q, k, v) => T.scaledDotProductAttention(q, k, v, { causal: true }),
  // tfjs has no attention op: scores, mask, softmax, product.
  tfjs: (q, k, v) =>
    tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(ATT.D)), tfjsMask)), v),
  jax: jaxCausalAttention,
};

/** A model's weights as host arrays: name → { data, shape }. */
async function snapshot(model) {
  const out = {};
  for (const [k, t] of Object.entries(model.stateDict()))
    out[k] = { data: await t.data(), shape: [...t.shape] };
  return out;
}

/** The first Tessera model trained (the CPU one), whose initial weights and loss the peers copy. */
let reference;

async function tessera(backend, impl, records) {
  await measureCases(PKG, impl, 'tessera', tesseraLibrary(T, backend), [attention], records);
  const model = new CausalLM(CFG, { backend, generator: new T.Generator(0) });
  const batch = T.tensor(ids, { shape: [BATCH, SEQ + 1], dtype: 'i32', backend });
  if (!reference) {
    const loss = model.loss(batch);
    reference = { weights: await snapshot(model), loss: await loss.item() };
    loss.dispose();
  }
  const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0 });
  const ms = await time(async () => {
    opt.zeroGrad();
    const loss = T.tidy(() => {
      const l = model.loss(batch);
      l.backward();
      return l;
    });
    await opt.step();
    await loss.item();
    loss.dispose();
  }, STEP_TIMING);
  records.push({ package: PKG, name: stepName, impl, metric: 'ms', value: ms, unit: 'ms' });
  // Only a GPU backend counts dispatches (its GpuContext).
  if (backend.ctx?.dispatches !== undefined) {
    const count = await demoStepDispatches(backend, { config: CFG, batch: BATCH, seq: SEQ });
    records.push({
      package: PKG,
      name: count.name,
      impl,
      metric: 'dispatches',
      value: count.value,
      unit: 'count',
    });
    console.log(`${impl}: ${count.name}: ${count.value} dispatches`);
  }
  batch.dispose();
  opt.dispose();
  model.dispose();
}

/**
 * Times a peer's training step from `start(weights)` (which returns its step function and its
 * loss at those weights), once that loss is checked against Tessera's: the same model, or skipped.
 */
async function peerStep(impl, start, records) {
  try {
    const { step, loss } = await start(reference.weights);
    // The peers compute in f32 with other summation orders; beyond 1e-4 relative the model differs.
    if (Math.abs(loss - reference.loss) > 1e-4 * Math.abs(reference.loss))
      throw new Error(
        `its loss at Tessera's weights is ${loss}, Tessera's ${reference.loss}: not the same model`,
      );
    const ms = await time(step, STEP_TIMING);
    records.push({ package: PKG, name: stepName, impl, metric: 'ms', value: ms, unit: 'ms' });
  } catch (e) {
    // A peer that cannot run the step is reported, not fatal (tfjs-wasm lacks UnsortedSegmentSum, the gather gradient).
    console.log(`${impl}: '${stepName}' skipped (${e?.message ?? e})`);
  }
}

const tableArgs = { ids, config: CFG, batch: BATCH, seq: SEQ };

await runSuite(
  PKG,
  {
    tessera,
    tfjs: async (impl, records) => {
      tfjsMask = tf.tensor(lmTables(ATT.S, ATT.D).mask, [ATT.S, ATT.S]);
      await measureCases(PKG, impl, 'tfjs', tfjsLibrary, [attention], records);
      tfjsMask.dispose();
      await peerStep(impl, (w) => tfjsTrainStep(w, tableArgs), records);
    },
    jax: async (impl, records) => {
      await measureCases(PKG, impl, 'jax', jaxLibrary, [attention], records);
      await peerStep(impl, (w) => jaxTrainStep(w, tableArgs), records);
    },
  },
  { T, findAdapter },
);
process.exit(0);
