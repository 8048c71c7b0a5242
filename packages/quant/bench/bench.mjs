// @tessera/quant benchmarks, one process: the fused 4-bit GEMV/GEMM on each Tessera backend this
// build has, against f32 matmul of the same shape on the same backend and against onnxruntime-node's
// MatMulNBits (CPU, the nearest peer that runs here); quantize throughput; then QLoRA's claims at
// small scale (reproduce.mjs).
// `pnpm --filter @tessera/quant bench` (BENCH_QUICK=1: smaller shapes, shorter reproduction).
import { QUICK, saveRecords, tesseraBackends, time } from '@tessera/bench';
import { matmul4, QuantizedWeight, quantize4bit, quantizeTensor } from '@tessera/quant';
import * as T from '@tessera/tensor';
import { matMulNBitsSession, matMulSession, toMatMulNBits } from './ort-peer.mjs';
import { reproduce } from './reproduce.mjs';

const PKG = '@tessera/quant';
const SHAPES = QUICK
  ? [
      [1, 1024, 1024],
      [32, 512, 512],
    ]
  : [
      [1, 4096, 4096],
      [64, 2048, 2048],
    ];
const BLOCK = 64;
const records = [];
const rec = (name, impl, metric, value, unit) =>
  records.push({ package: PKG, name, impl, metric, value, unit });

function uniform(n, seed) {
  let a = seed;
  return Float32Array.from({ length: n }, () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 31 - 1;
  });
}

/** Bytes a kernel must read for the weight: codes + f32 absmax (4-bit) or the f32 matrix. */
const weightBytes = (n, k, variant) => (variant === '4bit' ? (n * k) / 2 + (n * k * 4) / BLOCK : n * k * 4);

/** Time, effective weight bandwidth and arithmetic rate of one matmul run. */
function recordKernel(name, impl, ms, [m, n, k], variant) {
  rec(name, impl, 'ms', ms, 'ms');
  rec(name, impl, 'GB/s', weightBytes(n, k, variant) / ms / 1e6, 'GB/s');
  rec(name, impl, 'GFLOP/s', (2 * m * n * k) / ms / 1e6, 'GFLOP/s');
}

async function kernels(backend, impl) {
  for (const [m, n, k] of SHAPES) {
    const name = `${m === 1 ? 'GEMV' : 'GEMM'} ${m}x${n}x${k} int4/${BLOCK}`;
    const w = uniform(n * k, 1);
    const q = QuantizedWeight.upload(quantize4bit(w, 'int4', { blockSize: BLOCK, shape: [n, k] }), backend);
    const dense = T.tensor(w, { backend, shape: [n, k] });
    const x = T.tensor(uniform(m * k, 2), { backend, shape: [m, k] });
    for (const [variant, run] of [
      ['4bit', () => matmul4(x, q)],
      ['f32', () => T.matmul(x, T.transpose(dense))],
    ]) {
      const ms = await time(async () => {
        const y = T.tidy(run);
        await y.data();
        y.dispose();
      });
      recordKernel(name, `${impl} ${variant}`, ms, [m, n, k], variant);
    }
    q.dispose();
    dense.dispose();
    x.dispose();
  }
  const n = QUICK ? 1 << 20 : 1 << 22;
  const data = T.tensor(uniform(n, 3), { backend });
  const ms = await time(
    async () => (await quantizeTensor(data, { type: 'nf4', doubleQuant: true })).dispose(),
    {
      warmup: 1,
      minReps: 3,
    },
  );
  rec(`quantize nf4+dq ${n} elements`, impl, 'ms', ms, 'ms');
  rec(`quantize nf4+dq ${n} elements`, impl, 'Melem/s', n / ms / 1e3, 'Melem/s');
  data.dispose();
}

async function ort() {
  for (const [m, n, k] of SHAPES) {
    const name = `${m === 1 ? 'GEMV' : 'GEMM'} ${m}x${n}x${k} int4/${BLOCK}`;
    const w = uniform(n * k, 1);
    const wT = new Float32Array(n * k);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wT[j * n + i] = w[i * k + j];
    const x = uniform(m * k, 2);
    for (const [variant, run] of [
      [
        '4bit',
        await matMulNBitsSession(toMatMulNBits(quantize4bit(w, 'int4', { blockSize: BLOCK, shape: [n, k] }))),
      ],
      ['f32', await matMulSession(wT, n, k)],
    ]) {
      const ms = await time(() => run(x, m));
      recordKernel(name, `onnxruntime-cpu ${variant}`, ms, [m, n, k], variant);
    }
  }
}

function printKernels() {
  const ms = records.filter((r) => r.metric === 'ms');
  const get = (name, impl) => ms.find((r) => r.name === name && r.impl === impl)?.value;
  const metric = (name, impl, m) =>
    records.find((r) => r.name === name && r.impl === impl && r.metric === m)?.value;
  for (const name of [...new Set(ms.map((r) => r.name))].filter((n) => !n.startsWith('quantize'))) {
    console.log(`\n${name}`);
    const impls = [...new Set(ms.map((r) => r.impl.replace(/ (4bit|f32)$/, '')))];
    for (const impl of impls) {
      const [q, f] = [get(name, `${impl} 4bit`), get(name, `${impl} f32`)];
      if (q === undefined) continue;
      const peer = get(name, 'onnxruntime-cpu 4bit');
      console.log(
        `  ${impl.padEnd(16)} 4-bit ${q.toFixed(2).padStart(8)} ms (${metric(name, `${impl} 4bit`, 'GB/s').toFixed(2)} GB/s, ${metric(name, `${impl} 4bit`, 'GFLOP/s').toFixed(2)} GFLOP/s)  f32 ${f.toFixed(2).padStart(8)} ms  4-bit speed-up ${(f / q).toFixed(2)}×${impl === 'onnxruntime-cpu' ? '' : `  vs onnxruntime 4-bit ${(peer / q).toFixed(2)}×`}`,
      );
    }
  }
  for (const r of records.filter((r) => r.metric === 'Melem/s'))
    console.log(`\n${r.name} on ${r.impl}: ${r.value.toFixed(1)} Melem/s`);
}

const backends = await tesseraBackends(T);
for (const { backend, impl } of backends) await kernels(backend, impl);
await ort();
printKernels();

// QLoRA's claims at small scale, on the best backend (peak memory is that backend's).
const gpu = backends.find((b) => b.name === 'webgpu')?.backend;
const backend = gpu ?? T.cpuBackend;
const big = !QUICK;
const r = await reproduce({
  backend,
  config: { vocabSize: 256, dim: big ? 64 : 32, layers: big ? 2 : 1, heads: 4, maxSeq: 33 },
  seq: 32,
  batch: 8,
  pretrainSteps: big ? 300 : 60,
  finetuneSteps: big ? 100 : 40,
  lr: { pretrain: 3e-3, full: 3e-3, lora: 2e-2 },
  lora: { r: 16, alpha: 32 },
  evalWindows: big ? 512 : 32,
  log: (s) => console.log(`  ${s.slice(0, 160)}`),
});
const R = `reproduction (${backend.name})`;
for (const [k, v] of Object.entries(r.error.gaussian)) rec(`${R} relative MSE N(0,1)`, k, 'relMSE', v, '');
for (const [k, v] of Object.entries(r.error.weights)) rec(`${R} relative MSE LM weights`, k, 'relMSE', v, '');
rec(`${R} LM weights block kurtosis`, 'excess', 'kurtosis', r.error.kurtosis, '');
if (r.error.predicted)
  rec(`${R} Int4/NF4 error predicted by block shape`, 'int4/nf4', 'ratio', r.error.predicted.ratio, '');
for (const [k, v] of Object.entries(r.quality)) {
  rec(`${R} held-out bpb novel`, k, 'bpb', v.bpb, 'bits/byte');
  rec(`${R} model bytes`, k, 'bytes', v.bytes, 'B');
}
for (const [k, v] of Object.entries(r.finetune)) {
  rec(`${R} fine-tune held-out bpb code`, k, 'bpb', v.after, 'bits/byte');
  rec(`${R} fine-tune peak bytes`, k, 'bytes', v.peakBytes, 'B');
  rec(`${R} fine-tune weight bytes`, k, 'bytes', v.weightBytes, 'B');
  rec(`${R} fine-tune resident bytes`, k, 'bytes', v.residentBytes, 'B');
}
console.log(`\n${R}`);
console.log('  relative MSE        N(0,1)    LM weights');
for (const k of Object.keys(r.error.gaussian))
  console.log(
    `  ${k.padEnd(8)} ${r.error.gaussian[k].toFixed(5).padStart(16)} ${r.error.weights[k].toFixed(5).padStart(12)}`,
  );
console.log(
  `  LM weights' excess kurtosis per block of 64: ${r.error.kurtosis.toFixed(2)} (Gaussian 0, uniform −1.2)`,
);
console.log(
  `  Int4/NF4 error: ${(r.error.weights.int4 / r.error.weights.nf4).toFixed(3)}; data of that block shape give ${r.error.predicted ? r.error.predicted.ratio.toFixed(3) : '> 1 (as bell-shaped as a Gaussian)'}`,
);
console.log('  quantized LM        held-out bpb   weight bytes');
for (const [k, v] of Object.entries(r.quality))
  console.log(`  ${k.padEnd(8)} ${v.bpb.toFixed(4).padStart(19)} ${String(v.bytes).padStart(14)}`);
console.log('  fine-tune to code   bpb before → after   weights B  resident B      peak B  trainable');
for (const [k, v] of Object.entries(r.finetune)) {
  const cols = [v.weightBytes, v.residentBytes, v.peakBytes, v.trainable].map((x) => String(x).padStart(11));
  console.log(
    `  ${k.padEnd(10)} ${v.before.toFixed(3).padStart(13)} → ${v.after.toFixed(3)} ${cols.join(' ')}`,
  );
}
const pct = (a, b) => `${((r.finetune[a].after / r.finetune[b].after - 1) * 100).toFixed(2)}%`;
console.log(`  QLoRA vs full f32 ${pct('qlora', 'full')}, vs f32 LoRA ${pct('qlora', 'lora')}`);
console.log(
  `  QLoRA+emb vs full f32 ${pct('qlora+emb', 'full')}, vs f32 LoRA+emb ${pct('qlora+emb', 'lora+emb')}`,
);
saveRecords(PKG, records);
process.exit(0);
