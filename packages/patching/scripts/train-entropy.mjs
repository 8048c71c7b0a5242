// Trains the small entropy model shipped with @tessera/patching on Moby-Dick (public domain) and
// writes weights/entropy-tiny.safetensors with its config in the metadata.
// `node scripts/train-entropy.mjs [steps]` (TESSERA_BACKEND=cpu|webgpu; default: the best one).
import { writeFileSync } from 'node:fs';
import { mobyDick } from '@tessera/corpora';
import {
  AdamW,
  CausalLM,
  cosineWithWarmup,
  LRScheduler,
  splitBytes,
  trainSteps,
  writeSafetensors,
} from '@tessera/nn';
import * as T from '@tessera/tensor';

const STEPS = Number(process.argv[2] ?? 600);
const OUT = process.argv[3] ?? new URL('../weights/entropy-tiny.safetensors', import.meta.url).pathname;
export const TINY = {
  dim: 64,
  layers: 2,
  heads: 4,
  window: 128,
  maxSeq: 512,
  normEps: 1e-5,
  ropeTheta: 10000,
};
const SEQ = 128;
const BATCH = 8;

const backend = await T.init({ backend: process.env.TESSERA_BACKEND ?? 'auto', onFallback: () => {} });
const { train, test } = splitBytes(mobyDick(), 0.02);
// BLT ids: BOS = 1, bytes offset by 4.
const toIds = (bytes) => Int32Array.from(bytes, (b) => b + 4);
const ids = toIds(train);
let seed = 1;
const loader = {
  next() {
    const rows = new Int32Array(BATCH * (SEQ + 1));
    for (let b = 0; b < BATCH; b++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const at = seed % (ids.length - SEQ - 1);
      rows.set(ids.subarray(at, at + SEQ + 1), b * (SEQ + 1));
      rows[b * (SEQ + 1)] = 1;
    }
    return T.tensor(rows, { shape: [BATCH, SEQ + 1], dtype: 'i32', backend });
  },
};
const model = new CausalLM(
  {
    vocabSize: 260,
    dim: TINY.dim,
    layers: TINY.layers,
    heads: TINY.heads,
    maxSeq: TINY.maxSeq,
    window: TINY.window,
    normEps: TINY.normEps,
    ropeBase: TINY.ropeTheta,
  },
  { backend, generator: new T.Generator(0) },
);
const opt = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
const scheduler = new LRScheduler(opt, cosineWithWarmup({ warmup: 30, total: STEPS, minRatio: 0.1 }));
const t0 = performance.now();
await trainSteps(model, opt, loader, {
  steps: STEPS,
  clip: 1,
  scheduler,
  onStep: (r) => {
    if (r.step % 50 === 0)
      console.log(
        `step ${r.step} loss ${r.loss.toFixed(3)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`,
      );
  },
});
// Held-out bits per byte on the novel's last 2%.
const testIds = toIds(test);
let nats = 0;
let count = 0;
for (let at = 0; at + SEQ + 1 <= testIds.length && count < 64; at += SEQ, count++) {
  const row = testIds.slice(at, at + SEQ + 1);
  row[0] = 1;
  const l = T.tidy(() =>
    T.noGrad(() => model.loss(T.tensor(row, { shape: [1, SEQ + 1], dtype: 'i32', backend }))),
  );
  nats += await l.item();
  l.dispose();
}
const bpb = nats / count / Math.LN2;
console.log(`held-out bits/byte ${bpb.toFixed(3)} after ${STEPS} steps on ${backend.name}`);
const bytes = await writeSafetensors(model.stateDict(), {
  format: 'pt',
  tessera_entropy_config: JSON.stringify(TINY),
  trained_on: 'Moby-Dick (public domain), @tessera/corpora',
  steps: String(STEPS),
  heldout_bpb: bpb.toFixed(3),
});
writeFileSync(OUT, bytes);
console.log(`wrote ${OUT} (${bytes.length} bytes)`);
process.exit(0);
