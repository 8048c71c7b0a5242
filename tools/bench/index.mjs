// The benchmark harness shared by every package's `bench` script.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tesseraBackends } from './backends.mjs';
import { printTable } from './table.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const RESULTS = join(ROOT, 'bench', 'results', 'latest.json');
export const QUICK = process.env.BENCH_QUICK === '1';
export { tesseraBackends };

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
 * One measurement. `metric` is what was measured: `ms` (median time), `gflops`, `dispatches` (GPU
 * compute dispatches of one step, unit `count`), or a package's own metric named with its unit
 * (`GB/s`, `bpb`, …).
 * @typedef {{ package: string, name: string, impl: string, metric: 'ms' | 'gflops' | 'dispatches' | (string & {}), value: number, unit: string }} BenchRecord
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
 * @typedef {{
 *   tessera: (backend: object, impl: string, records: BenchRecord[]) => Promise<void>,
 *   tfjs?: (impl: string, records: BenchRecord[]) => Promise<void>,
 *   jax?: (impl: string, records: BenchRecord[]) => Promise<void>,
 * }} Suite a package's benchmarks written for Tessera and for each peer it is compared with
 */

/**
 * Runs a package's benchmarks on every implementation in one process and saves and prints the
 * records: each Tessera backend this build has (`tessera-cpu`, `tessera-wasm`, `tessera-webgpu`),
 * then TensorFlow.js cpu, wasm and webgpu, then jax-js wasm and webgpu (each WebGPU peer on a fresh
 * handle to the same Dawn adapter). An implementation that cannot start is reported and skipped.
 * The caller passes its own `@tessera/tensor` and `@tessera/gpu` modules (this harness depends on no
 * Tessera package, which keeps the workspace graph acyclic).
 * @param {string} pkg
 * @param {Suite} suite
 * @param {{ T: typeof import('@tessera/tensor'), findAdapter: typeof import('@tessera/gpu').findAdapter }} tessera
 */
export async function runSuite(pkg, suite, { T, findAdapter }) {
  const records = [];
  for (const { impl, backend } of await tesseraBackends(T)) await suite.tessera(backend, impl, records);
  // A WebGPU adapter hands out one device, so each peer gets a fresh one; both are found before
  // either peer defines navigator.gpu (which findAdapter would otherwise return).
  const fresh = () =>
    findAdapter().then(
      (f) => f.adapter,
      (e) => String(e?.message ?? e),
    );
  const adapters = { tfjs: await fresh(), jax: await fresh() };
  await runPeer('tfjs', ['cpu', 'wasm', 'webgpu'], adapters.tfjs, suite.tfjs, records);
  await runPeer('jax', ['wasm', 'webgpu'], adapters.jax, suite.jax, records);
  saveRecords(pkg, records);
  printTable(records);
}

/** Runs `measure` on each of a peer's devices that starts; a WebGPU one needs `adapter` (or its failure). */
async function runPeer(peer, devices, adapter, measure, records) {
  if (!measure) {
    console.log(`${peer}: skipped (these benchmarks have no ${peer} version)`);
    return;
  }
  const { useTfjs, shareAdapter } = await import('./tfjs.mjs');
  const { useJax, describeJax } = await import('./jax.mjs');
  for (const device of devices) {
    const impl = `${peer}-${device}`;
    let ok;
    if (device === 'webgpu' && typeof adapter === 'string') ok = `no WebGPU adapter: ${adapter}`;
    else if (peer === 'jax') ok = await useJax(device, adapter);
    else {
      if (device === 'webgpu') await shareAdapter(adapter);
      ok = await useTfjs(device);
    }
    if (ok !== true) {
      console.log(`${impl}: skipped (${ok})`);
      continue;
    }
    if (peer === 'jax') console.log(`${impl}: ${describeJax(device)}`);
    await measure(impl, records);
  }
}
