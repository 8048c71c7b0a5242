// The printed comparison: one row per benchmark, each implementation's median ms, and the ratios the
// project's performance aims are stated in (peer ms / Tessera ms: > 1 means Tessera is faster).

/** Column order of the implementations; others found in the records follow. */
const IMPLS = [
  'tessera-cpu',
  'tessera-wasm',
  'tessera-webgpu',
  'tfjs-cpu',
  'tfjs-wasm',
  'jax-wasm',
  'tfjs-webgpu',
  'jax-webgpu',
];

const fastest = (...values) => {
  const known = values.filter((v) => v !== undefined);
  return known.length ? Math.min(...known) : undefined;
};

/**
 * The ratio columns: Tessera's fastest CPU path (plain JS or WebAssembly) against the faster of the
 * two WebAssembly peers and against tfjs-cpu; Tessera's WebGPU against each WebGPU peer.
 * @type {[string, (get: (impl: string) => number | undefined) => [number | undefined, number | undefined]][]}
 */
const RATIOS = [
  [
    'cpu vs best wasm peer',
    (get) => [fastest(get('tessera-cpu'), get('tessera-wasm')), fastest(get('tfjs-wasm'), get('jax-wasm'))],
  ],
  ['cpu vs tfjs-cpu', (get) => [fastest(get('tessera-cpu'), get('tessera-wasm')), get('tfjs-cpu')]],
  ['webgpu vs tfjs-webgpu', (get) => [get('tessera-webgpu'), get('tfjs-webgpu')]],
  ['webgpu vs jax-webgpu', (get) => [get('tessera-webgpu'), get('jax-webgpu')]],
];

/**
 * Prints one row per benchmark with each implementation's time and the ratios above.
 * @param {import('./index.mjs').BenchRecord[]} records
 */
export function printTable(records) {
  const ms = records.filter((r) => r.metric === 'ms');
  const names = [...new Set(ms.map((r) => r.name))];
  const present = new Set(ms.map((r) => r.impl));
  const impls = [...IMPLS.filter((i) => present.has(i)), ...[...present].filter((i) => !IMPLS.includes(i))];
  const get = (n, i) => ms.find((r) => r.name === n && r.impl === i)?.value;
  const fmt = (v) => (v === undefined ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const ratio = ([tessera, peer]) =>
    tessera === undefined || peer === undefined ? '—' : `${(peer / tessera).toFixed(2)}×`;
  const header = ['benchmark (ms)', ...impls, ...RATIOS.map(([label]) => label)];
  const rows = names.map((n) => [
    n,
    ...impls.map((i) => fmt(get(n, i))),
    ...RATIOS.map(([, pair]) => ratio(pair((i) => get(n, i)))),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
  console.log(
    'ratios: peer ms / Tessera ms (> 1: Tessera faster); cpu = the faster of tessera-cpu and tessera-wasm; best wasm peer = the faster of tfjs-wasm and jax-wasm',
  );
}
