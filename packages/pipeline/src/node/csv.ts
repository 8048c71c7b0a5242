import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { columnSlots, InputBuilder, matchColumns } from '../data/columns.js';
import { PipelineError } from '../errors.js';
import type { Pipeline } from '../ir/types.js';

/** Options of {@link readCsvBatches}. */
export interface CsvOptions {
  /** Rows per batch. Default 10,000. */
  batchRows?: number;
  /**
   * Whether the first line names the columns. 'auto' (default): it does when one of its cells names
   * a column the pipeline reads, or when none of them is a number.
   */
  header?: boolean | 'auto';
  /** Cell delimiter. Default ','. */
  delimiter?: string;
}

/**
 * Streams a CSV file (a path or a readable stream) as batches of the pipeline's inputs, never
 * holding more than one batch: columns matched by the header's names, or by position (in the
 * pipeline's input order) without a header. Empty cells and 'NaN' are missing values. Parsed with
 * csv-parse (quotes, escapes, CRLF). A bad cell is refused naming its line and column.
 */
export async function* readCsvBatches(
  pipeline: Pipeline,
  source: string | Readable,
  options: CsvOptions = {},
): AsyncGenerator<Record<string, Float32Array | string[]>> {
  const batchRows = options.batchRows ?? 10_000;
  if (!(Number.isInteger(batchRows) && batchRows > 0))
    throw new PipelineError(`batchRows must be a positive integer, got ${batchRows}`, 'readCsvBatches');
  const slots = columnSlots(pipeline);
  const stream = typeof source === 'string' ? createReadStream(source) : source;
  const parser = stream.pipe(
    parse({ delimiter: options.delimiter ?? ',', relax_column_count: false, trim: true }),
  );
  let order: number[] | undefined;
  let names: string[] = [];
  let line = 0;
  let pending: { cells: string[]; line: number }[] = [];
  const flush = () => {
    const at = order as number[];
    const batch = new InputBuilder(slots, pending.length, 'CSV');
    pending.forEach(({ cells, line }, r) => {
      slots.forEach((_, k) => {
        batch.set(r, k, cells[at[k]], names[at[k]], `line ${line}`);
      });
    });
    pending = [];
    return batch.build();
  };
  try {
    for await (const cells of parser as AsyncIterable<string[]>) {
      line++;
      if (!order) {
        const known = new Set(slots.flatMap((s) => s.names));
        const isHeader =
          options.header === true ||
          (options.header !== false &&
            (cells.some((c) => known.has(c)) || cells.every((c) => c === '' || Number.isNaN(Number(c)))));
        names = isHeader ? cells : cells.map((_, i) => `column ${i + 1}`);
        order = matchColumns(slots, isHeader ? cells : names, 'CSV');
        if (isHeader) continue;
      }
      pending.push({ cells, line });
      if (pending.length === batchRows) yield flush();
    }
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    // csv-parse's own errors (an unclosed quote, a row of another length) name no line we count.
    throw new PipelineError(`line ${line + 1}: ${(e as Error).message}`, 'CSV');
  }
  if (pending.length) yield flush();
}
