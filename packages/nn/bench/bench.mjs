// @tessera/nn against TensorFlow.js (cpu, wasm, webgpu on the same Dawn adapter), in one process:
// attention, and one full training step (forward, backward, Adam update) of the same small transformer.
// `pnpm --filter @tessera/nn bench` (BENCH_QUICK=1 for a short run).
import { QUICK, runSuite, time } from '@tessera/bench';
import { tf } from '@tessera/bench/tfjs';
import { findAdapter } from '@tessera/gpu';
import { AdamW, CausalLM } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { tfjsLoss, tfjsTables, tfjsWeights } from './tfjs-model.mjs';

const PKG = '@tessera/nn';
const ATT = { B: 2, H: 4, S: QUICK ? 128 : 256, D: 32 };
const CFG = { vocabSize: 256, dim: 64, layers: 2, heads: 4, maxSeq: 65 };
const BATCH = 8;
const SEQ = 64;
const attName = `attention causal ${ATT.B}x${ATT.H}x${ATT.S}x${ATT.D}`;
const stepName = `train step LM dim ${CFG.dim} x${CFG.layers} layers, batch ${BATCH}x${SEQ}`;

/** The CPU model, whose weights the tfjs runs copy. */
let model;

const ids = Array.from({ length: BATCH * (SEQ + 1) }, (_, i) => (i * 7919) % 256);

async function tessera(backend, impl, records) {
  const g = { backend, generator: new T.Generator(0) };
  const [q, k, v] = [0, 1, 2].map(() => T.randn([ATT.B, ATT.H, ATT.S, ATT.D], g));
  const att = await time(async () => {
    const o = T.scaledDotProductAttention(q, k, v, { causal: true });
    await o.data();
    o.dispose();
  });
  records.push({ package: PKG, name: attName, impl, metric: 'ms', value: att, unit: 'ms' });

  const model = new CausalLM(CFG, g);
  const opt = new AdamW(model.parameters(), { lr: 1e-3, weightDecay: 0 });
  const batch = T.tensor(ids, { shape: [BATCH, SEQ + 1], dtype: 'i32', backend });
  const step = await time(
    async () => {
      opt.zeroGrad();
      const loss = T.tidy(() => {
        const l = model.loss(batch);
        l.backward();
        return l;
      });
      opt.step();
      await loss.item();
      loss.dispose();
    },
    { warmup: 1, minReps: 3 },
  );
  records.push({ package: PKG, name: stepName, impl, metric: 'ms', value: step, unit: 'ms' });
  return model;
}

async function tfjs(impl, model, records) {
  const [q, k, v] = [0, 1, 2].map(() => tf.randomNormal([ATT.B, ATT.H, ATT.S, ATT.D]));
  const mask = tfjsTables(ATT.S, ATT.D).mask;
  const att = await time(async () => {
    const o = tf.tidy(() =>
      tf.matMul(tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(ATT.D)), mask)), v),
    );
    await o.data();
    o.dispose();
  });
  records.push({ package: PKG, name: attName, impl, metric: 'ms', value: att, unit: 'ms' });

  // A peer that cannot run a case is reported, not fatal (tfjs-wasm lacks UnsortedSegmentSum, the gather gradient).
  try {
    await tfjsStep(impl, model, records);
  } catch (e) {
    console.log(`${impl}: '${stepName}' skipped (${e.message})`);
  }
}

async function tfjsStep(impl, model, records) {
  const W = await tfjsWeights(model.stateDict());
  const tables = tfjsTables(SEQ, CFG.dim / CFG.heads);
  const batch = tf.tensor(ids, [BATCH, SEQ + 1], 'int32');
  // tfjs has no AdamW; Adam without weight decay does the same work per parameter (the Tessera run uses weightDecay 0).
  const opt = tf.train.adam(1e-3);
  const step = await time(
    async () => {
      const loss = opt.minimize(() => tfjsLoss(W, batch, CFG, tables), true, Object.values(W));
      await loss.data();
      loss.dispose();
    },
    { warmup: 1, minReps: 3 },
  );
  records.push({ package: PKG, name: stepName, impl, metric: 'ms', value: step, unit: 'ms' });
}

await runSuite(
  PKG,
  {
    tessera: async (backend, impl, records) => {
      const m = await tessera(backend, impl, records);
      model ??= m; // the CPU model, measured first, gives the tfjs runs their weights
    },
    tfjs: (impl, records) => tfjs(impl, model, records),
  },
  { T, findAdapter },
);
process.exit(0);
