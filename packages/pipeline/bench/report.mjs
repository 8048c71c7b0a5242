// The throughput tables: rows/s per implementation with Tessera's speed-up against each peer, and
// the tree strategies side by side.
import { STRATEGIES } from './throughput.mjs';

/** Prints rows of cells under a header, the first `left` columns left-aligned. */
export function printTable(header, rows, left = 2) {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (c < left ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  console.log(line(header));
  for (const r of rows) console.log(line(r));
}

const rate = (v) =>
  v === undefined ? '—' : v >= 100 ? Math.round(v).toLocaleString('en') : v.toPrecision(3);
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);

/** Reads rows/s records back: get(name, impl), and the best Tessera strategy on a backend. */
function lookup(records) {
  const rates = records.filter((r) => r.metric === 'rows/s');
  const get = (name, impl) => rates.find((r) => r.name === name && r.impl === impl)?.value;
  const best = (name, impl) => {
    const found = [impl, ...STRATEGIES.map((s) => `${impl} ${s}`)]
      .map((i) => [i, get(name, i)])
      .filter(([, v]) => v !== undefined)
      .sort((a, b) => b[1] - a[1])[0];
    return found ? { value: found[1], strategy: found[0].slice(impl.length + 1) } : undefined;
  };
  return { get, best };
}

const names = (models, batches) => models.flatMap((m) => batches.map((b) => [m, b, `${m} batch ${b}`]));

/**
 * Tessera (its fastest strategy per backend) against onnxruntime and scikit-learn on the
 * scikit-learn models, and against ml.js on the ml.js models: rows/s and speed-ups (> 1: Tessera
 * is faster).
 */
export function printThroughput(records, { models, mljsModels, batches }) {
  const { get, best } = lookup(records);
  const label = (v) => (v ? `${rate(v.value)}${v.strategy ? ` (${v.strategy})` : ''}` : '—');
  if (models.length) {
    console.log(
      '\nrows/s, scikit-learn models (Tessera: its fastest tree strategy; speed-up = Tessera / peer)',
    );
    printTable(
      [
        'model',
        'batch',
        'tessera-cpu',
        'tessera-webgpu',
        'onnxruntime',
        'scikit-learn',
        'cpu/ort',
        'gpu/ort',
        'cpu/sklearn',
        'gpu/sklearn',
      ],
      names(models, batches).map(([m, b, n]) => {
        const [cpu, gpu] = [best(n, 'tessera-cpu'), best(n, 'tessera-webgpu')];
        const [ort, sk] = [get(n, 'onnxruntime-cpu'), get(n, 'scikit-learn predict')];
        return [
          m,
          b.toLocaleString('en'),
          label(cpu),
          label(gpu),
          rate(ort),
          rate(sk),
          ratio(cpu?.value, ort),
          ratio(gpu?.value, ort),
          ratio(cpu?.value, sk),
          ratio(gpu?.value, sk),
        ];
      }),
    );
  }
  console.log('\nrows/s, ml.js models (Tessera compiled from the same ml.js model)');
  printTable(
    ['model', 'batch', 'tessera-cpu', 'tessera-webgpu', 'ml.js', 'cpu/ml.js', 'gpu/ml.js'],
    names(mljsModels, batches).map(([m, b, n]) => {
      const [cpu, gpu, ml] = [best(n, 'tessera-cpu'), best(n, 'tessera-webgpu'), get(n, 'ml.js')];
      return [
        m,
        b.toLocaleString('en'),
        label(cpu),
        label(gpu),
        rate(ml),
        ratio(cpu?.value, ml),
        ratio(gpu?.value, ml),
      ];
    }),
  );
}

/** Each tree strategy's rows/s per backend, model and batch, and the fastest. */
export function printStrategies(records, { models, batches, backends }) {
  const { get } = lookup(records);
  console.log('\nrows/s by tree strategy (— : not timed, see the notes)');
  const rows = [];
  for (const [m, b, n] of names(models, batches)) {
    for (const impl of backends) {
      const v = STRATEGIES.map((s) => get(n, `${impl} ${s}`));
      if (v.every((x) => x === undefined)) continue;
      const top = Math.max(...v.filter((x) => x !== undefined));
      rows.push([m, b.toLocaleString('en'), impl, ...v.map(rate), STRATEGIES[v.indexOf(top)]]);
    }
  }
  printTable(['model', 'batch', 'backend', ...STRATEGIES, 'fastest'], rows, 3);
}
