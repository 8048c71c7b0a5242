// @tessera/pipeline benchmarks, one process, same models and rows for every implementation:
// 1. rows/s at batch 1, 1,000 and 100,000 of a random forest (100 trees, depth 8), gradient
//    boosting (500 trees, depth 6) and scaler -> logistic regression fitted by scikit-learn on
//    breast_cancer: Tessera on CPU and WebGPU (every tree strategy) against onnxruntime-node on the
//    same ONNX-ML file and scikit-learn's predict (Python); and ml.js's predict against Tessera on
//    the same ml.js models. Every output is checked against the peer's before it is timed.
// 2. arXiv 1906.03822's claim (reproduce.mjs): fine-tuning the translated pipeline as a network.
// `pnpm --filter @tessera/pipeline bench` (BENCH_QUICK=1: batch 10,000 at most, a shorter
// reproduction). Needs /usr/bin/python3 with scikit-learn and onnx for everything but ml.js.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QUICK, saveRecords } from '@tessera/bench';
import * as T from '@tessera/tensor';
import { mljsPeer } from './mljs-peer.mjs';
import { pythonMissing, runPeer } from './python.mjs';
import { printStrategies, printThroughput } from './report.mjs';
import { printReproduction, reproduce } from './reproduce.mjs';
import { MODELS, throughput } from './throughput.mjs';

const PKG = '@tessera/pipeline';
const BATCHES = QUICK ? [1, 1000, 10_000] : [1, 1000, 100_000];
const REPRODUCE = {
  datasets: (process.env.PIPELINE_REPRODUCE_DATASETS ?? 'breast_cancer,wine').split(','),
  seeds: QUICK ? [0, 1, 2] : [0, 1, 2, 3, 4],
  settings: {
    epochs: QUICK ? 15 : 40,
    batchSize: 64,
    patience: 8,
    lrs: QUICK ? [0.01] : [0.001, 0.01],
    weightDecay: 0.01,
    temperature: [0.1, 0.01],
  },
};

const records = [];
const record = (name, impl, metric, value, unit) =>
  records.push({ package: PKG, name, impl, metric, value, unit });
const notes = [];
const log = (s) => console.log(s);

// breast_cancer's rows (scikit-learn's copy of the UCI data set) as float32 values, which every
// implementation then reads exactly, and for the large batches rows drawn from them with
// replacement (seeded).
const fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/reproduce/breast_cancer.json', import.meta.url), 'utf8'),
);
const data = { X: fixture.X.map((r) => r.map(Math.fround)), y: fixture.y };
const columns = data.X[0].length;
const classes = Math.max(...data.y) + 1;
let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const n = BATCHES[BATCHES.length - 1];
const all = Array.from({ length: n }, () => data.X[Math.floor(random() * data.X.length)]);
const rows = Float32Array.from(all.flat());

const backends = [['tessera-cpu', T.cpuBackend]];
const gpu = await T.webgpuBackend().catch((e) => console.log(`tessera-webgpu: skipped (${e.message})`));
if (gpu) {
  console.log(`webgpu adapter: ${gpu.description}`);
  backends.push(['tessera-webgpu', gpu]);
}
const missing = pythonMissing();
if (missing)
  console.log(`scikit-learn: skipped (${missing}): no scikit-learn models, onnxruntime or reproduction`);
const work = mkdtempSync(join(tmpdir(), 'tessera-pipeline-bench-'));
try {
  if (!missing) {
    console.log(`\nscikit-learn models on breast_cancer, ${n.toLocaleString('en')} sampled rows`);
    writeFileSync(join(work, 'rows.f32'), rows);
    runPeer(['throughput', work, join(work, 'rows.f32'), BATCHES.join(','), QUICK ? '300' : '1000']);
    await throughput({ dir: work, rows, columns, batches: BATCHES, backends, record, notes });
  }
  console.log('\nml.js models on breast_cancer');
  const ties = await mljsPeer({ data, all, classes, batches: BATCHES, backends, record, notes, log });
  if (ties) notes.push(`${ties} rows with tied forest votes took a tied class (ml.js breaks ties otherwise)`);
  const mljsModels = ['random_forest (ml.js)', 'linear (ml.js)'];
  printThroughput(records, { models: missing ? [] : MODELS, mljsModels, batches: BATCHES });
  printStrategies(records, {
    models: [...(missing ? [] : MODELS.slice(0, 2)), mljsModels[0]],
    batches: BATCHES,
    backends: backends.map(([impl]) => impl),
  });
  console.log('\nAll outputs agreed with the peers (labels equal, probabilities within 1e-5) before timing.');
  console.log(
    'Every implementation runs on one thread (onnxruntime intra-op 1, BLAS 1); WebGPU on the adapter above.',
  );
  for (const note of notes) console.log(`note: ${note}`);

  if (!missing) {
    const { datasets, seeds, settings } = REPRODUCE;
    console.log(
      `\nreproduction of arXiv 1906.03822 (${datasets.join(', ')}; seeds ${seeds.join(', ')}; CPU backend)`,
    );
    runPeer(['reproduce', join(work, 'reproduce'), datasets.join(','), seeds.join(',')]);
    const result = await reproduce({ dir: join(work, 'reproduce'), backend: T.cpuBackend, settings, log });
    console.log('');
    printReproduction(result);
    for (const s of result.summaries) {
      const name = `reproduction ${s.dataset} ${s.pipeline} test`;
      for (const impl of ['original', 'hard', 'soft']) {
        const which = impl === 'original' ? 'original' : `fine-tuned ${impl}`;
        for (const [metric, v] of Object.entries(s.test[impl])) {
          record(name, which, metric, v.mean, '');
          record(name, which, `${metric} std`, v.std, '');
        }
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
saveRecords(PKG, records);
process.exit(0);
