import { PipelineError } from '../errors.js';
import type { Pipeline } from '../ir/types.js';
import { columnSlots, InputBuilder, matchColumns } from './columns.js';

/**
 * What {@link fromArrow} reads of an Apache Arrow table or record batch (`apache-arrow`'s `Table`
 * and `RecordBatch` have it): column names and values by index. Typed structurally, so that this
 * package does not depend on a particular apache-arrow release.
 */
export interface ArrowTableLike {
  readonly numRows: number;
  readonly schema: { readonly fields: readonly { readonly name: string }[] };
  getChildAt(
    index: number,
  ): { readonly nullCount: number; get(row: number): unknown; toArray(): ArrayLike<unknown> } | null;
}

/**
 * An Arrow table or record batch → the pipeline's inputs, for `predict`: columns matched by name
 * (as {@link fromRows}), numbers read as float32 (nulls are missing values: NaN), strings (dictionary
 * or utf8) as categories. A table without any matching name is read by position.
 */
export function fromArrow(
  pipeline: Pipeline,
  table: ArrowTableLike,
): Record<string, Float32Array | string[]> {
  const names = table.schema.fields.map((f) => f.name);
  const slots = columnSlots(pipeline);
  const source = matchColumns(slots, names, 'fromArrow');
  const out = new InputBuilder(slots, table.numRows, 'fromArrow');
  slots.forEach((_, k) => {
    const column = table.getChildAt(source[k]);
    if (!column) throw new PipelineError(`column ${source[k]} cannot be read`, 'fromArrow');
    // A column without nulls reads at once; one with nulls value by value (get() gives null there).
    const values = column.nullCount === 0 ? column.toArray() : undefined;
    for (let r = 0; r < table.numRows; r++) {
      const v = values ? values[r] : column.get(r);
      out.set(r, k, typeof v === 'bigint' ? Number(v) : v, names[source[k]]);
    }
  });
  return out.build();
}
