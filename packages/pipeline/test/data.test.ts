// Data in, the ML.NET way: row objects, Apache Arrow tables and CSV streams matched to the
// pipeline's inputs by column name (or position), with clear errors; batches scored one at a time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import * as T from '@tessera/tensor';
import { tableFromArrays, tableFromJSON } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, fromArrow, fromRows, type Pipeline, PipelineError, predictBatches } from '../src/index.js';
import { readCsvBatches } from '../src/node/index.js';

/** Two float columns (named a, b) and one categorical column: scaled and one-hot, side by side. */
const pipeline: Pipeline = {
  source: 'sklearn',
  inputs: [
    { name: 'num', kind: 'float', columns: 2, columnNames: ['a', 'b'] },
    { name: 'color', kind: 'string', columns: 1 },
  ],
  outputs: ['y'],
  nodes: [
    { name: 'scale', inputs: ['num'], outputs: ['s'], op: { kind: 'scaler', offset: [1, 0], scale: [2, 1] } },
    {
      name: 'hot',
      inputs: ['color'],
      outputs: ['h'],
      op: { kind: 'oneHot', categories: [['red', 'blue']], unknown: 'zeros' },
    },
    { name: 'all', inputs: ['s', 'h'], outputs: ['y'], op: { kind: 'concat' } },
  ],
};
const expected = (a: number, b: number, c: string) => [
  (a - 1) * 2,
  b,
  c === 'red' ? 1 : 0,
  c === 'blue' ? 1 : 0,
];

const dir = mkdtempSync(join(tmpdir(), 'tessera-pipeline-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const program = compile(pipeline, { backend: T.cpuBackend });

describe('data in', () => {
  it('row objects by column name, by input[i], or as an array under the input name', async () => {
    const input = fromRows(pipeline, [
      { a: 2, b: 3, color: 'red' },
      { 'num[0]': 1, 'num[1]': null, color: 'green' },
      { num: [0.5, -1], color: 'blue' },
    ]);
    const y = [...((await program.predict(input)).y as Float32Array)];
    expect(y).toEqual([
      ...expected(2, 3, 'red'),
      ...expected(1, Number.NaN, 'green'),
      ...expected(0.5, -1, 'blue'),
    ]);
    expect(() => fromRows(pipeline, [{ a: 1, color: 'red' }])).toThrow(
      /row 0 has no column 'b' or 'num\[1\]'/,
    );
    expect(() => fromRows(pipeline, [{ a: 'x', b: 1, color: 'red' }])).toThrow(
      /row 0, column 'a': expected a number, got 'x'/,
    );
    expect(() => fromRows(pipeline, [{ a: 1, b: 1, color: { c: 1 } }])).toThrow(PipelineError);
  });

  it('Arrow tables by name (numbers with nulls, dictionary strings), and by position', async () => {
    const byName = tableFromJSON([
      { color: 'blue', b: 4, a: 1.5 },
      { color: 'red', b: null, a: -1 },
    ]);
    const y1 = [...((await program.predict(fromArrow(pipeline, byName))).y as Float32Array)];
    expect(y1).toEqual([...expected(1.5, 4, 'blue'), ...expected(-1, Number.NaN, 'red')]);
    const byPosition = tableFromArrays({ x: Float64Array.from([3]), y: Float32Array.from([7]), z: ['red'] });
    expect([...((await program.predict(fromArrow(pipeline, byPosition))).y as Float32Array)]).toEqual(
      expected(3, 7, 'red'),
    );
    const partial = tableFromArrays({ a: Float32Array.from([1]), q: Float32Array.from([2]), color: ['red'] });
    expect(() => fromArrow(pipeline, partial)).toThrow(/has no column 'b'; it has 'a', 'q', 'color'/);
  });

  it('CSV files stream in batches, with or without a header, quotes and missing cells', async () => {
    const path = join(dir, 'rows.csv');
    const rows = Array.from(
      { length: 25 },
      (_, i) => [i / 4, i % 3 === 0 ? '' : i, i % 2 ? 'red' : '"blue"'] as const,
    );
    writeFileSync(path, `color,b,a\n${rows.map(([a, b, c]) => `${c},${b},${a}`).join('\r\n')}\n`);
    const want = rows.flatMap(([a, b, c]) =>
      expected(a, b === '' ? Number.NaN : Number(b), c === 'red' ? 'red' : 'blue'),
    );
    const got: number[] = [];
    let batches = 0;
    for await (const scored of predictBatches(program, readCsvBatches(pipeline, path, { batchRows: 10 }))) {
      expect(scored.offset).toBe(batches * 10);
      got.push(...(scored.output.y as Float32Array));
      batches++;
    }
    expect(batches).toBe(3);
    expect(got).toEqual(want);
    // Without a header the columns are the pipeline's, in input order.
    const plain = Readable.from(['1,2,red\n', '3,NaN,blue\n']);
    const out: number[] = [];
    for await (const batch of readCsvBatches(pipeline, plain))
      out.push(...((await program.predict(batch)).y as Float32Array));
    expect(out).toEqual([...expected(1, 2, 'red'), ...expected(3, Number.NaN, 'blue')]);
  });

  it('refuses malformed CSV, naming the line', async () => {
    const cases: [string, RegExp][] = [
      ['a,b,color\n1,2,red\n3,x,blue\n', /line 3, column 'b': expected a number, got 'x'/],
      ['a,b,color\n1,2,red\n3,4\n', /line 3/],
      ['a,b,color\n1,"2,red\n', /line 2/],
      ['a,q,color\n1,2,red\n', /has no column 'b'/],
    ];
    for (const [text, why] of cases) {
      const read = async () => {
        for await (const _ of readCsvBatches(pipeline, Readable.from([text]))) {
          // reading is what is tested
        }
      };
      await expect(read()).rejects.toThrow(PipelineError);
      await expect(read()).rejects.toThrow(why);
    }
  });
});
