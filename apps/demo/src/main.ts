// Tessera's demo: trains a small byte-level causal LM on Moby-Dick for about a minute and a half on
// the best available backend, with a progress bar, then prints the backend, throughput, the train
// and held-out bits-per-byte curve and a text sample. DEMO_SECONDS and TESSERA_BACKEND override.

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
import { Bar, Presets } from 'cli-progress';

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

  // Time one chunk first, to size the run to the time budget.
  const heldOut = () => bitsPerByte(model, test, { seqLen: SEQ, batchSize: 8, maxWindows: 16, backend });
  const curve: { step: number; train: number; test: number }[] = [
    { step: 0, train: 8, test: await heldOut() },
  ];
  const bar = new Bar(
    {
      format: 'training [{bar}] {percentage}% | step {value}/{total} | loss {loss} | {rate} B/s',
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  const start = performance.now();
  let steps = 0;
  let total = CHUNK;
  let scheduler: LRScheduler | undefined;
  bar.start(total, 0, { loss: '-', rate: '-' });
  while (steps < total) {
    const losses = await trainSteps(model, optimizer, loader, {
      steps: CHUNK,
      clip: 1,
      scheduler,
      onStep: (r) =>
        bar.update(steps + r.step, {
          loss: r.loss.toFixed(3),
          rate: Math.round(r.bytesPerSecond).toLocaleString(),
        }),
    });
    steps += CHUNK;
    if (!scheduler) {
      // Now that a chunk's speed is known, fix the run length and decay the rate over it.
      const perStep = (performance.now() - start) / 1000 / CHUNK;
      total = Math.max(CHUNK * 2, Math.floor(SECONDS / perStep / CHUNK) * CHUNK);
      bar.setTotal(total);
      scheduler = new LRScheduler(
        optimizer,
        cosineWithWarmup({ warmup: 0, total: total - CHUNK, minRatio: 0.1 }),
      );
    }
    const meanLoss = losses.reduce((a, b) => a + b, 0) / losses.length;
    curve.push({ step: steps, train: meanLoss / Math.LN2, test: await heldOut() });
  }
  bar.stop();
  const seconds = (performance.now() - start) / 1000;

  console.log(
    `\ntrained ${steps} steps in ${seconds.toFixed(1)} s on ${backend.name}: ${Math.round((steps * BATCH * SEQ) / seconds).toLocaleString()} bytes/s`,
  );
  console.log('step    train bpb   held-out bpb');
  for (const c of curve)
    console.log(
      `${String(c.step).padStart(5)}   ${c.step ? c.train.toFixed(3) : '   - '}       ${c.test.toFixed(3)}`,
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
