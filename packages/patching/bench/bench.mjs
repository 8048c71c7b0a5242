// @tessera/patching benchmarks: patching throughput (bytes/s) of the shipped entropy model on
// Tessera's CPU and WebGPU backends and, in the same run, of the same model in PyTorch on the CPU
// (Debian python3-torch; skipped where it is not installed). The PyTorch entropies are also
// compared with ours. `pnpm --filter @tessera/patching bench` (BENCH_QUICK=1 for a short run).
import { execFileSync } from 'node:child_process';
import { QUICK, saveRecords, time } from '@tessera/bench';
import { mobyDick } from '@tessera/corpora';
import { byteEntropies, entropyPatches, tinyEntropyModel } from '@tessera/patching';
import * as T from '@tessera/tensor';
import { reproduce } from './reproduce.mjs';

const PKG = '@tessera/patching';
const WINDOW = 512; // the model's context
const BYTES = QUICK ? 4 * WINDOW : 16 * WINDOW;
const text = mobyDick().subarray(300_000, 300_000 + BYTES - 1);
const name = `entropy patching ${BYTES} bytes (windows of ${WINDOW}, batch 8)`;
const records = [];
const rec = (impl, ms) => {
  records.push({ package: PKG, name, impl, metric: 'ms', value: ms, unit: 'ms' });
  records.push({ package: PKG, name, impl, metric: 'bytes/s', value: (BYTES / ms) * 1000, unit: 'bytes/s' });
};

let ours;
for (const [impl, backend] of [
  ['tessera-cpu', T.cpuBackend],
  [
    'tessera-webgpu',
    await T.webgpuBackend().catch((e) => console.log(`tessera-webgpu: skipped (${e.message})`)),
  ],
]) {
  if (!backend) continue;
  const model = await tinyEntropyModel({ backend });
  let entropies;
  const ms = await time(
    async () => {
      entropies = await byteEntropies(model, text, { batchSize: 8 });
      entropyPatches(entropies, { threshold: 2 });
    },
    { warmup: 1, minReps: 3 },
  );
  ours ??= entropies;
  rec(impl, ms);
  model.dispose();
}

try {
  const ids = [1, ...text].map((b, i) => (i === 0 ? 1 : b + 4));
  const rows = [];
  for (let i = 0; i < ids.length; i += WINDOW) rows.push(ids.slice(i, i + WINDOW));
  const script = new URL('./torch_entropy.py', import.meta.url).pathname;
  const r = JSON.parse(
    execFileSync('/usr/bin/python3', [script], {
      input: JSON.stringify({ rows, reps: 3 }),
      maxBuffer: 1 << 28,
    }).toString(),
  );
  rec(`pytorch-cpu (${r.threads} threads)`, r.seconds * 1000);
  let diff = 0;
  for (let i = 0; i < ours.length; i++) diff = Math.max(diff, Math.abs(ours[i] - r.entropies[i]));
  console.log(`PyTorch vs Tessera entropies: max |difference| ${diff.toExponential(2)} nats`);
  records.push({
    package: PKG,
    name,
    impl: 'pytorch-cpu',
    metric: 'max entropy difference',
    value: diff,
    unit: 'nats',
  });
} catch (e) {
  console.log(`pytorch-cpu: skipped (${e.message.split('\n')[0]})`);
}

const bps = records.filter((r) => r.metric === 'bytes/s');
const torch = bps.find((r) => r.impl.startsWith('pytorch'));
console.log(name);
for (const r of bps)
  console.log(
    `  ${r.impl.padEnd(24)} ${Math.round(r.value).toLocaleString().padStart(10)} bytes/s${torch && r !== torch ? `  (${(r.value / torch.value).toFixed(2)}× PyTorch)` : ''}`,
  );

// BLT's claim at small scale (CPU backend: deterministic, and faster than llvmpipe for these sizes).
// BLT_STEPS=1000 trains the entropy arm longer (the others match its FLOPs).
const STEPS = Number(process.env.BLT_STEPS) || (QUICK ? 30 : 300);
const R = STEPS === 300 ? 'BLT reproduction (cpu)' : `BLT reproduction (cpu, ${STEPS} steps)`;
const rep = await reproduce({
  backend: T.cpuBackend,
  seq: 64,
  batch: 8,
  steps: STEPS,
  lr: 3e-3,
  corpusBytes: QUICK ? 20_000 : 200_000,
  evalWindows: QUICK ? 16 : 128,
  noise: 0.05,
  blt: {
    dimLocal: 32,
    dimGlobal: 64,
    encoderHeads: 2,
    decoderHeads: 2,
    globalHeads: 4,
    encoderLayers: 1,
    globalLayers: 2,
    decoderLayers: 1,
    window: 16,
    crossAttnK: 2,
    crossAttnHeads: 2,
    multipleOf: 8,
    hash: { functions: 1, groupSizes: [3, 4, 5], vocab: 4099 },
  },
  byteModel: { dim: 48, layers: 2, heads: 4 },
  log: (s) => console.log(`  ${s}`),
});
console.log(
  `\n${R}: mean patch size ${rep.spaceMean.toFixed(2)} (space), static ${rep.patchSize}, entropy θ ${rep.threshold.toFixed(3)}`,
);
console.log('  model            held-out bpb   noised bpb   mean patch   inference FLOPs/byte   train steps');
for (const [k, v] of Object.entries(rep.results)) {
  console.log(
    `  ${k.padEnd(14)} ${v.bpb.toFixed(4).padStart(14)} ${v.noisedBpb.toFixed(4).padStart(12)} ${v.meanPatch.toFixed(2).padStart(12)} ${Math.round(v.inferFlopsPerByte).toLocaleString().padStart(22)} ${String(v.trainSteps).padStart(13)}`,
  );
  for (const [metric, value, unit] of [
    ['held-out bpb', v.bpb, 'bits/byte'],
    ['noised bpb', v.noisedBpb, 'bits/byte'],
    ['mean patch size', v.meanPatch, 'bytes'],
    ['inference FLOPs per byte', v.inferFlopsPerByte, 'FLOP'],
    ['training FLOPs', v.trainFlops, 'FLOP'],
  ])
    records.push({
      package: PKG,
      name: R,
      impl: k === 'byte' ? 'byte transformer' : `BLT ${k} patches`,
      metric,
      value,
      unit,
    });
}
saveRecords(PKG, records);
process.exit(0);
