// Tessera's demo: trains a small byte-level causal LM on Moby-Dick for about a minute and a half on
// the best available backend, with progress (a bar on a terminal, plain lines otherwise), then
// prints the backend, throughput, the train and held-out bits-per-byte curve and a text sample.
// DEMO_SECONDS and TESSERA_BACKEND override.

import { mobyDick } from '@tessera/corpora';
import {
  AdamW,
  ByteLoader,
  bitsPerByte,
  CausalLM,
  cosineWithWarmup,
  LRScheduler,
  splitBytes,
  trainSteps,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import { Progress } from './progress.js';

const SECONDS = Number(process.env.DEMO_SECONDS ?? 90);
const SEQ = 64;
const BATCH = 8;
const CONFIG = { vocabSize: 256, dim: 64, layers: 2, heads: 4, maxSeq: SEQ + 1 };
const CHUNK = 25; // steps between held-out evaluations

async function main(): Promise<void> {
  const choice = (process.env.TESSERA_BACKEND ?? 'auto') as T.InitOptions['backend'];
  const backend = await T.init({ backend: choice, onFallback: (why) => console.log(`note: ${why}`) });
  console.log(`backend: ${backend.name} — ${backend.description}`);

  const bytes = mobyDick();
  const { train, test } = splitBytes(bytes, 0.05);
  console.log(
    `data: Moby-Dick, ${bytes.byteLength.toLocaleString()} bytes (${train.byteLength.toLocaleString()} train, ${test.byteLength.toLocaleString()} held out)`,
  );

  const model = new CausalLM(CONFIG, { backend, generator: new T.Generator(0) });
  const params = model.parameters().reduce((n, p) => n + p.size, 0);
  console.log(
    `model: byte-level causal LM, ${CONFIG.layers} layers, dim ${CONFIG.dim}, ${params.toLocaleString()} parameters`,
  );
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const loader = new ByteLoader(train, BATCH, SEQ, { seed: 0, backend });

  const heldOut = () => bitsPerByte(model, test, { seqLen: SEQ, batchSize: 8, maxWindows: 16, backend });
  const curve: { step: number; train: number; test: number }[] = [
    { step: 0, train: Number.NaN, test: await heldOut() },
  ];
  // The first chunk is timed to size the run to the time budget. Until then progress is the share
  // of the budget spent (at most half: a run has two chunks or more), then steps done of the total;
  // the display never moves back.
  const progress = new Progress();
  const start = performance.now();
  let steps = 0;
  let total: number | undefined;
  let scheduler: LRScheduler | undefined;
  while (total === undefined || steps < total) {
    const losses = await trainSteps(model, optimizer, loader, {
      steps: CHUNK,
      clip: 1,
      scheduler,
      onStep: (r) => {
        const step = steps + r.step;
        const fraction =
          total === undefined
            ? Math.min((performance.now() - start) / 1000 / SECONDS, step / (2 * CHUNK))
            : step / total;
        progress.update(fraction, {
          step,
          total,
          bitsPerByte: r.loss / Math.LN2,
          bytesPerSecond: r.bytesPerSecond,
        });
      },
    });
    steps += CHUNK;
    if (total === undefined) {
      // Now that a chunk's speed is known, fix the run length and decay the rate over it.
      const perStep = (performance.now() - start) / 1000 / CHUNK;
      total = Math.max(CHUNK * 2, Math.floor(SECONDS / perStep / CHUNK) * CHUNK);
      scheduler = new LRScheduler(
        optimizer,
        cosineWithWarmup({ warmup: 0, total: total - CHUNK, minRatio: 0.1 }),
      );
    }
    const meanLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    curve.push({ step: steps, train: meanLoss / Math.LN2, test: await heldOut() });
  }
  progress.stop();
  const seconds = (performance.now() - start) / 1000;

  console.log(
    `\ntrained ${steps} steps in ${seconds.toFixed(1)} s on ${backend.name}: ${Math.round((steps * BATCH * SEQ) / seconds).toLocaleString()} bytes/s`,
  );
  console.log('loss in bits per byte (train: mean over the chunk; held-out: 16 windows of the last 5%)');
  console.log(' step   train   held-out');
  for (const c of curve)
    console.log(
      `${String(c.step).padStart(5)}   ${Number.isNaN(c.train) ? '   - ' : c.train.toFixed(3)}   ${c.test.toFixed(3)}`,
    );

  const prompt = 'Call me Ishmael. ';
  const ids = T.tensor([[...new TextEncoder().encode(prompt)]], { dtype: 'i32', backend });
  const sample = await model.generate(ids, 160, { temperature: 0.8, generator: new T.Generator(1) });
  console.log(`\nsample: ${prompt}${new TextDecoder().decode(new Uint8Array(sample)).replace(/\s+/g, ' ')}`);
  ids.dispose();
  optimizer.dispose();
  model.dispose();
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
