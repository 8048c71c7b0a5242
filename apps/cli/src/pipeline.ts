// `tessera pipeline predict MODEL DATA.csv`: a trained model (ONNX-ML, XGBoost JSON, scikit-learn
// export, ml.js JSON) compiled to tensor programs, scoring a CSV streamed in batches, one output row
// per input row. cli-progress draws the bar on a terminal (a well-kept library for what is not the
// point of this project).

import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import {
  type CompiledPipeline,
  compile,
  parseModel,
  predictBatches,
  type StrategyChoice,
} from '@tessera/pipeline';
import { readCsvBatches } from '@tessera/pipeline/node';
import type * as T from '@tessera/tensor';
import { SingleBar } from 'cli-progress';

/** Options of {@link pipelinePredict}. */
export interface PredictCommandOptions {
  /** Where to write the predictions (CSV); standard output when absent. */
  out?: string;
  /** Rows per batch. */
  batch: number;
  strategy?: StrategyChoice;
  /** Where progress goes (standard error: the predictions may be on standard output). */
  progress?: NodeJS.WriteStream;
}

/** The shortest decimal that reads back as the same float32. */
export function formatF32(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'inf' : '-inf';
  for (let p = 1; p < 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(Number(v.toPrecision(9)));
}

/** A CSV cell: quoted when it holds a comma, a quote or a line break. */
const cell = (v: string | number) => {
  const s = typeof v === 'number' ? formatF32(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/**
 * The output columns: for a classifier its label, then one probability per class (named by the
 * class); for a regressor each predicted value. Returns the header and how to write a row.
 */
function outputLayout(program: CompiledPipeline): {
  header: string[];
  columns: { name: string; width: number }[];
} {
  const p = program.pipeline;
  const head = p.nodes.find((n) => n.op.kind === 'classifier' && p.outputs.includes(n.outputs[0]));
  if (head && head.op.kind === 'classifier') {
    const probs = head.outputs[1];
    const columns = [{ name: head.outputs[0], width: 1 }];
    const header = ['label'];
    if (p.outputs.includes(probs)) {
      columns.push({ name: probs, width: head.op.labels.length });
      header.push(...head.op.labels.map((l) => `p(${l})`));
    }
    return { header, columns };
  }
  const columns = p.outputs.map((name) => ({ name, width: 0 }));
  return { header: p.outputs, columns };
}

/**
 * Scores the rows of `data` (CSV: the model's input columns, by header name or in order) with the
 * model in `model` and writes one CSV row per input row. Resolves to the rows scored.
 */
export async function pipelinePredict(
  model: string,
  data: string,
  o: PredictCommandOptions,
  backend: T.Backend,
): Promise<number> {
  const bytes = await readFile(model).then(
    (b) => new Uint8Array(b),
    (e: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${model}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    },
  );
  const size = await stat(data).then(
    (s) => s.size,
    (e: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${data}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    },
  );
  const program = compile(parseModel(bytes), { backend, strategy: o.strategy });
  const sink: Writable = o.out ? createWriteStream(o.out) : process.stdout;
  const write = async (line: string) => {
    if (!sink.write(`${line}\n`)) await once(sink, 'drain');
  };
  const progress = o.progress ?? process.stderr;
  const bar = progress.isTTY
    ? new SingleBar({
        format: 'scoring [{bar}] {percentage}% | {rows} rows | {speed} rows/s',
        stream: progress,
      })
    : undefined;
  const input = createReadStream(data);
  let read = 0;
  input.on('data', (chunk) => {
    read += chunk.length;
  });
  const started = performance.now();
  let rows = 0;
  let lastLine = started;
  const speed = () => Math.round(rows / Math.max((performance.now() - started) / 1000, 1e-3));
  try {
    const { header, columns } = outputLayout(program);
    let widths: number[] | undefined;
    bar?.start(size, 0, { rows: 0, speed: 0 });
    await write(header.map(cell).join(','));
    for await (const scored of predictBatches(
      program,
      readCsvBatches(program.pipeline, input, { batchRows: o.batch }),
    )) {
      const outs = columns.map((c) => scored.output[c.name]);
      widths ??= columns.map((c, k) => c.width || (outs[k] as ArrayLike<unknown>).length / scored.rows);
      const lines: string[] = [];
      for (let r = 0; r < scored.rows; r++) {
        const cells: (string | number)[] = [];
        outs.forEach((values, k) => {
          for (let j = 0; j < widths![k]; j++)
            cells.push((values as ArrayLike<string | number>)[r * widths![k] + j]);
        });
        lines.push(cells.map(cell).join(','));
      }
      await write(lines.join('\n'));
      rows += scored.rows;
      bar?.update(read, { rows, speed: speed() });
      if (!bar && performance.now() - lastLine > 5000) {
        lastLine = performance.now();
        progress.write(`scoring: ${rows} rows, ${speed()} rows/s\n`);
      }
    }
  } finally {
    bar?.stop();
    program.dispose();
    if (o.out) {
      sink.end();
      await once(sink, 'close');
    }
  }
  const seconds = (performance.now() - started) / 1000;
  progress.write(
    `scored ${rows} rows in ${seconds.toFixed(2)} s (${speed()} rows/s)${o.out ? ` into ${o.out}` : ''}\n`,
  );
  return rows;
}
