// Trains the small MoE byte language model shipped with @tessera/moe on Moby-Dick (public domain)
// and writes weights/moe-tiny.safetensors with its config in the metadata. Fixed seeds (weights,
// batches), so a rerun on the same backend gives the same file.
// `node scripts/train-tiny.mjs [steps] [out]` (TESSERA_BACKEND=cpu|wasm|webgpu|auto; default wasm, which trains it in about 3 minutes on two cores).
import { writeFileSync } from 'node:fs';
import { mobyDick } from '@tessera/corpora';
import { AdamW, cosineWithWarmup, LRScheduler, splitBytes, trainSteps, writeSafetensors } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { MoECausalLM } from '../dist/index.js';

const STEPS = Number(process.argv[2] ?? 300);
const OUT = process.argv[3] ?? new URL('../weights/moe-tiny.safetensors', import.meta.url).pathname;
// Plain bytes as ids (vocabulary 256), 2 layers, each with 4 experts and Mixtral's top-2 router.
const CONFIG = {
  vocabSize: 256,
  dim: 64,
  layers: 2,
  heads: 4,
  maxSeq: 512,
  numExperts: 4,
  k: 2,
  expertHidden: 128,
};
const SEQ = 64;
const BATCH = 8;

const backend = await T.init({ backend: process.env.TESSERA_BACKEND ?? 'wasm', onFallback: () => {} });
const { train, test } = splitBytes(mobyDick(), 0.02);
const ids = Int32Array.from(train);
let seed = 1;
const loader = {
  batchSize: BATCH,
  seqLen: SEQ,
  next() {
    const rows = new Int32Array(BATCH * (SEQ + 1));
    for (let b = 0; b < BATCH; b++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      const at = seed % (ids.length - SEQ - 1);
      rows.set(ids.subarray(at, at + SEQ + 1), b * (SEQ + 1));
    }
    return T.tensor(rows, { shape: [BATCH, SEQ + 1], dtype: 'i32', backend });
  },
};
const model = new MoECausalLM(CONFIG, { backend, generator: new T.Generator(0) });
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
// Held-out bits per byte (cross-entropy only, without the auxiliary loss) on the novel's last 2%.
const testIds = Int32Array.from(test);
let nats = 0;
let count = 0;
for (let at = 0; at + SEQ + 1 <= testIds.length && count < 64; at += SEQ, count++) {
  const row = testIds.slice(at, at + SEQ + 1);
  const l = T.tidy(() =>
    T.noGrad(() => {
      const { logits } = model.forwardWithAux(
        T.tensor(row.subarray(0, SEQ), { shape: [1, SEQ], dtype: 'i32', backend }),
      );
      return T.crossEntropy(logits, T.tensor(row.subarray(1), { shape: [1, SEQ], dtype: 'i32', backend }));
    }),
  );
  nats += await l.item();
  l.dispose();
}
const bpb = nats / count / Math.LN2;
console.log(`held-out bits/byte ${bpb.toFixed(3)} after ${STEPS} steps on ${backend.name}`);
const bytes = await writeSafetensors(model.stateDict(), {
  format: 'pt',
  tessera_moe_config: JSON.stringify(CONFIG),
  trained_on: 'Moby-Dick (public domain), @tessera/corpora',
  steps: String(STEPS),
  backend: backend.name,
  heldout_bpb: bpb.toFixed(3),
});
writeFileSync(OUT, bytes);
console.log(`wrote ${OUT} (${bytes.length} bytes)`);
process.exit(0);
