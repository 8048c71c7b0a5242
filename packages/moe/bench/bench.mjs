// @tessera/moe benchmarks: tokens/s of one MoE layer's forward + backward (top-k router, SwiGLU
// experts) for each dispatch (naive, capacity, dropless), E and k, on each Tessera backend this build
// has, the GPU dispatches of one such step on WebGPU, and, in the same run, PyTorch's Mixtral loop over
// experts (Hugging Face's `MixtralSparseMoeBlock`) on the CPU (Debian python3-torch; skipped where it
// is not installed). `pnpm --filter @tessera/moe bench` (BENCH_QUICK=1 for a short run).
import { execFileSync } from 'node:child_process';
import { QUICK, saveRecords, tesseraBackends, time } from '@tessera/bench';
import { MoE } from '@tessera/moe';
import * as T from '@tessera/tensor';
import { reproduce } from './reproduce.mjs';

const PKG = '@tessera/moe';
const TOKENS = 512;
const DIM = 64;
const HIDDEN = 128;
const EXPERTS = [8, 32, 64];
const KS = [1, 2];
const KINDS = ['naive', 'capacity', 'dropless'];
// Capacity factor 1 (fairseq's default): the same work as dropless when routing is balanced.
const CAPACITY_FACTOR = 1;
const TIMING = QUICK ? { warmup: 1, minReps: 1, minMs: 0 } : { warmup: 2, minReps: 5 };

const label = (E, k) => `E ${E}, top-${k}`;
const name = (kind, E, k) =>
  `moe layer fwd+bwd ${kind}, ${label(E, k)}, ${TOKENS} tokens, dim ${DIM}, hidden ${HIDDEN}`;
const records = [];
const rec = (impl, kind, E, k, ms) => {
  const n = name(kind, E, k);
  records.push({ package: PKG, name: n, impl, metric: 'ms', value: ms, unit: 'ms' });
  records.push({
    package: PKG,
    name: n,
    impl,
    metric: 'tokens/s',
    value: (TOKENS / ms) * 1000,
    unit: 'tokens/s',
  });
};

/** One training step of the layer: forward, a scalar loss, backward, the gradients read back. */
async function step(layer, x) {
  layer.zeroGrad();
  T.tidy(() => T.sum(layer.forward(x).output).backward());
  await layer.experts.w2.grad.data();
}

for (const { impl, backend } of await tesseraBackends(T)) {
  const x = T.randn([TOKENS, DIM], { backend, generator: new T.Generator(1) });
  for (const E of EXPERTS)
    for (const k of KS)
      for (const kind of KINDS) {
        const layer = new MoE(DIM, HIDDEN, E, {
          k,
          kind,
          capacityFactor: CAPACITY_FACTOR,
          backend,
          generator: new T.Generator(0),
        });
        const ms = await time(() => step(layer, x), TIMING);
        rec(impl, kind, E, k, ms);
        console.log(`  ${impl} ${kind.padEnd(8)} ${label(E, k).padEnd(11)} ${ms.toFixed(1).padStart(8)} ms`);
        // Only a GPU backend counts dispatches (its GpuContext); counted after the timed steps.
        if (backend.ctx?.dispatches !== undefined) {
          const before = backend.ctx.dispatches;
          await step(layer, x);
          records.push({
            package: PKG,
            name: name(kind, E, k),
            impl,
            metric: 'dispatches',
            value: backend.ctx.dispatches - before,
            unit: 'count',
          });
        }
        layer.dispose();
      }
  x.dispose();
}

try {
  const script = new URL('./torch_moe.py', import.meta.url).pathname;
  const cases = EXPERTS.flatMap((experts) => KS.map((k) => ({ experts, k })));
  const r = JSON.parse(
    execFileSync('/usr/bin/python3', [script], {
      input: JSON.stringify({ tokens: TOKENS, dim: DIM, hidden: HIDDEN, cases, reps: QUICK ? 3 : 10 }),
      stdio: ['pipe', 'pipe', 'pipe'],
    }).toString(),
  );
  console.log(`pytorch-cpu: torch ${r.torch}, ${r.threads} threads, Mixtral's loop over experts`);
  for (const c of r.results) rec('pytorch-cpu', 'naive', c.experts, c.k, c.seconds * 1000);
} catch (e) {
  console.log(
    `pytorch-cpu: skipped (${String(e.stderr || e.message)
      .trim()
      .split('\n')
      .pop()})`,
  );
}

// The table: one row per (E, k), tokens/s of each implementation and dispatch; then each backend's
// dropless and capacity against its own naive, and Tessera's best against PyTorch's loop.
const get = (impl, kind, E, k, metric = 'tokens/s') =>
  records.find((r) => r.impl === impl && r.name === name(kind, E, k) && r.metric === metric)?.value;
const impls = [...new Set(records.map((r) => r.impl))];
const columns = impls.flatMap((impl) =>
  impl === 'pytorch-cpu'
    ? [[impl, 'naive', 'pytorch-cpu loop']]
    : KINDS.map((kind) => [impl, kind, `${impl} ${kind}`]),
);
const tessera = impls.filter((i) => i !== 'pytorch-cpu');
const ratios = [
  ...tessera.flatMap((impl) => [
    [`${impl} dropless/naive`, (E, k) => [get(impl, 'dropless', E, k), get(impl, 'naive', E, k)]],
    [`${impl} capacity/naive`, (E, k) => [get(impl, 'capacity', E, k), get(impl, 'naive', E, k)]],
  ]),
  [
    'best tessera/pytorch',
    (E, k) => [
      Math.max(...tessera.flatMap((i) => KINDS.map((kind) => get(i, kind, E, k) ?? 0))),
      get('pytorch-cpu', 'naive', E, k),
    ],
  ],
];
const fmt = (v) => (v === undefined ? '—' : Math.round(v).toLocaleString('en-US'));
const ratio = ([a, b]) => (a === undefined || b === undefined || !a || !b ? '—' : `${(a / b).toFixed(2)}×`);
const print = (header, rows) => {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
};
const cases = EXPERTS.flatMap((E) => KS.map((k) => [E, k]));
console.log(`\nMoE layer forward + backward, ${TOKENS} tokens, dim ${DIM}, hidden ${HIDDEN}: tokens/s`);
print(
  ['case', ...columns.map(([, , h]) => h)],
  cases.map(([E, k]) => [label(E, k), ...columns.map(([impl, kind]) => fmt(get(impl, kind, E, k)))]),
);
console.log('\nratios of tokens/s (> 1: the first is faster)');
print(
  ['case', ...ratios.map(([h]) => h)],
  cases.map(([E, k]) => [label(E, k), ...ratios.map(([, pair]) => ratio(pair(E, k)))]),
);
const gpu = tessera.filter((impl) => records.some((r) => r.impl === impl && r.metric === 'dispatches'));
if (gpu.length) {
  console.log('\nGPU dispatches per step');
  const cols = gpu.flatMap((impl) => KINDS.map((kind) => [impl, kind]));
  print(
    ['case', ...cols.map(([impl, kind]) => `${impl} ${kind}`)],
    cases.map(([E, k]) => [
      label(E, k),
      ...cols.map(([impl, kind]) => fmt(get(impl, kind, E, k, 'dispatches'))),
    ]),
  );
}
// The papers' claims at small scale on real text (MoE vs dense, MoT vs dense, routing health).
records.push(...(await reproduce({ quick: QUICK })));

saveRecords(PKG, records);
process.exit(0);
