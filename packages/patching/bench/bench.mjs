// @tessera/patching benchmarks: patching throughput (bytes/s) of the shipped entropy model on
// Tessera's CPU and WebGPU backends and, in the same run, of the same model in PyTorch on the CPU
// (Debian python3-torch; skipped where it is not installed). The PyTorch entropies are also
// compared with ours. `pnpm --filter @tessera/patching bench` (BENCH_QUICK=1 for a short run).
import { execFileSync } from 'node:child_process';
import { QUICK, saveRecords, time } from '@tessera/bench';
import { mobyDick } from '@tessera/corpora';
import { byteEntropies, entropyPatches, tinyEntropyModel } from '@tessera/patching';
import * as T from '@tessera/tensor';

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
saveRecords(PKG, records);
process.exit(0);
