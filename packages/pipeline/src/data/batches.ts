import type { CompiledPipeline, PredictInput, PredictOutput } from '../compile/program.js';

/** One scored batch: its outputs and the rows scored so far. */
export interface ScoredBatch {
  output: PredictOutput;
  rows: number;
  /** Rows scored before this batch. */
  offset: number;
}

/**
 * Scores a stream of input batches (CSV chunks, Arrow record batches turned into inputs) one at a
 * time, holding only the current batch: the ML.NET way of scoring data larger than memory.
 */
export async function* predictBatches(
  program: CompiledPipeline,
  batches: AsyncIterable<PredictInput> | Iterable<PredictInput>,
): AsyncGenerator<ScoredBatch> {
  let offset = 0;
  for await (const batch of batches) {
    const output = await program.predict(batch);
    const first = program.pipeline.inputs[0];
    const given =
      ArrayBuffer.isView(batch) || Array.isArray(batch)
        ? batch
        : (batch as Record<string, ArrayLike<unknown>>)[first.name];
    const rows = (given as ArrayLike<unknown>).length / first.columns;
    yield { output, rows, offset };
    offset += rows;
  }
}
