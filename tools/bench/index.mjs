// The benchmark harness shared by every package's `bench` script.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
export const QUICK = process.env.BENCH_QUICK === '1';

/**
 * Times `run` (which returns a promise that resolves when its work is done, data read back):
 * warm-up calls, then repetitions until `minMs` have passed; returns the median in ms.
 * @param {() => Promise<unknown>} run
 */
export async function time(run, { warmup = 2, minReps = 5, minMs = QUICK ? 300 : 1000, maxReps = 200 } = {}) {
  for (let i = 0; i < warmup; i++) await run();
  const samples = [];
  const start = performance.now();
  while (samples.length < minReps || (performance.now() - start < minMs && samples.length < maxReps)) {
    const t0 = performance.now();
    await run();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/**
 * @typedef {{ package: string, name: string, impl: string, metric: 'ms' | 'gflops', value: number, unit: string }} BenchRecord
 */

/**
 * Merges this package's records into bench/results/latest.json, replacing only its old ones.
 * @param {string} pkg
 * @param {BenchRecord[]} records
 */
export function saveRecords(pkg, records) {
  let all = [];
  try {
    all = JSON.parse(readFileSync(RESULTS, 'utf8')).records ?? [];
  } catch {
    all = [];
  }
  const kept = all.filter((r) => r.package !== pkg);
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(
    RESULTS,
    `${JSON.stringify({ updated: new Date().toISOString(), records: [...kept, ...records] }, null, 2)}\n`,
  );
}

/**
 * Prints one row per benchmark with each impl's time and Tessera's speed-up against each peer
 * (peer time / Tessera time: > 1 means Tessera is faster).
 * @param {BenchRecord[]} records
 */
export function printTable(records) {
  const ms = records.filter((r) => r.metric === 'ms');
  const names = [...new Set(ms.map((r) => r.name))];
  const impls = ['tessera-cpu', 'tfjs-cpu', 'tfjs-wasm', 'tessera-webgpu', 'tfjs-webgpu'];
  const get = (n, i) => ms.find((r) => r.name === n && r.impl === i)?.value;
  const fmt = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(b / a).toFixed(2)}×`);
  const header = ['benchmark (ms)', ...impls, 'cpu vs tfjs-cpu', 'cpu vs tfjs-wasm', 'webgpu vs tfjs-webgpu'];
  const rows = names.map((n) => [
    n,
    ...impls.map((i) => fmt(get(n, i))),
    ratio(get(n, 'tessera-cpu'), get(n, 'tfjs-cpu')),
    ratio(get(n, 'tessera-cpu'), get(n, 'tfjs-wasm')),
    ratio(get(n, 'tessera-webgpu'), get(n, 'tfjs-webgpu')),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

/**
 * Runs a package's benchmarks on every implementation in one process — Tessera's CPU and WebGPU
 * backends, then TensorFlow.js cpu, wasm and webgpu (on a fresh handle to the same adapter) — and
 * saves and prints the records. An implementation that cannot start is reported and skipped.
 * The caller passes its own `@tessera/tensor` and `@tessera/gpu` modules (this harness depends on no
 * Tessera package, which keeps the workspace graph acyclic).
 * @param {string} pkg
 * @param {{ tessera: (backend: object, impl: string, records: BenchRecord[]) => Promise<void>, tfjs: (impl: string, records: BenchRecord[]) => Promise<void> }} suite
 * @param {{ T: typeof import('@tessera/tensor'), findAdapter: typeof import('@tessera/gpu').findAdapter }} tessera
 */
export async function runSuite(pkg, suite, { T, findAdapter }) {
  const { shareAdapter, useTfjs } = await import('./tfjs.mjs');
  const records = [];
  await suite.tessera(T.cpuBackend, 'tessera-cpu', records);
  const gpu = await T.webgpuBackend().catch((e) => console.log(`tessera-webgpu: skipped (${e.message})`));
  if (gpu) {
    console.log(`webgpu adapter: ${gpu.description}`);
    await suite.tessera(gpu, 'tessera-webgpu', records);
    // A WebGPU adapter hands out one device, so tfjs gets a fresh handle on the same adapter.
    await shareAdapter((await findAdapter()).adapter);
  }
  for (const impl of ['cpu', 'wasm', ...(gpu ? ['webgpu'] : [])]) {
    const ok = await useTfjs(impl);
    if (ok !== true) console.log(`tfjs-${impl}: skipped (${ok})`);
    else await suite.tfjs(`tfjs-${impl}`, records);
  }
  saveRecords(pkg, records);
  printTable(records);
}
