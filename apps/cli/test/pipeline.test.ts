// `tessera pipeline predict MODEL DATA.csv` on fixture models: the rows it writes equal the compiled
// model's predictions, through the function and the built CLI; bad input is named.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, parseModel } from '@tessera/pipeline';
import * as T from '@tessera/tensor';
import { expect, it } from 'vitest';
import { formatF32, pipelinePredict } from '../src/pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-pipeline-'));
const fixtures = new URL('../../../packages/pipeline/test/fixtures/onnx/', import.meta.url).pathname;
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WriteStream;

/** n rows of `columns` values, as CSV text and as numbers. */
function rows(n: number, columns: number): { csv: string; values: Float32Array } {
  const values = Float32Array.from({ length: n * columns }, (_, i) => Math.fround(((i * 37) % 101) / 10 - 2));
  const lines = Array.from({ length: n }, (_, r) =>
    [...values.subarray(r * columns, (r + 1) * columns)].map(formatF32).join(','),
  );
  return { csv: `${lines.join('\n')}\n`, values };
}

it('writes the label then every class probability for a classifier, in batches', async () => {
  const model = join(fixtures, 'wine_rf_n200_d3.onnx');
  const pipeline = parseModel(new Uint8Array(readFileSync(model)));
  const { csv, values } = rows(25, pipeline.inputs[0].columns);
  const data = join(dir, 'wine.csv');
  const out = join(dir, 'wine-preds.csv');
  writeFileSync(data, csv);
  const scored = await pipelinePredict(model, data, { out, batch: 7, progress: quiet }, T.cpuBackend);
  expect(scored).toBe(25);
  const program = compile(pipeline, { backend: T.cpuBackend });
  const want = await program.predict(values);
  const [header, ...lines] = readFileSync(out, 'utf8').trim().split('\n');
  expect(header).toBe('label,p(0),p(1),p(2)');
  expect(lines).toHaveLength(25);
  const head = pipeline.nodes.find((n) => n.op.kind === 'classifier')!;
  const [labels, probs] = [want[head.outputs[0]] as number[], want[head.outputs[1]] as Float32Array];
  lines.forEach((line, r) => {
    const [label, ...p] = line.split(',');
    expect(Number(label)).toBe(labels[r]);
    expect(p.map(Number)).toEqual([...probs.subarray(r * 3, r * 3 + 3)].map((v) => Number(formatF32(v))));
  });
  program.dispose();
});

it('runs as `tessera pipeline predict`, says the backend and the speed, and names bad input', () => {
  const main = new URL('../dist/main.js', import.meta.url).pathname;
  const model = join(fixtures, 'diabetes_gbr_n150_d3.onnx');
  const columns = parseModel(new Uint8Array(readFileSync(model))).inputs[0].columns;
  const data = join(dir, 'diabetes.csv');
  writeFileSync(data, rows(4, columns).csv);
  const ok = spawnSync(process.execPath, [main, 'pipeline', 'predict', model, data, '--backend', 'cpu'], {
    encoding: 'utf8',
  });
  expect(ok.status, ok.stderr).toBe(0);
  expect(ok.stderr).toMatch(/^backend: cpu/);
  expect(ok.stderr).toMatch(/scored 4 rows in [\d.]+ s \(\d+ rows\/s\)/);
  const [header, ...values] = ok.stdout.trim().split('\n');
  expect(header).toBe('variable');
  expect(values.map(Number).every(Number.isFinite)).toBe(true);
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, '1,2\n');
  const wrong = spawnSync(process.execPath, [main, 'pipeline', 'predict', model, bad, '--backend', 'cpu'], {
    encoding: 'utf8',
  });
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/tessera: CSV: .*by position it needs exactly 10/);
  const missing = spawnSync(process.execPath, [main, 'pipeline', 'predict', join(dir, 'none.onnx'), data], {
    encoding: 'utf8',
  });
  expect(missing.stderr).toMatch(/cannot read .*none\.onnx: no such file/);
});
