import { PipelineError } from '../errors.js';
import type { Pipeline } from '../ir/types.js';
import { columnSlots, InputBuilder } from './columns.js';

/** A row as an object: column name → value (a number, a category string, or null/undefined when missing). */
export type RowObject = Record<string, unknown>;

/**
 * Rows as objects → the pipeline's inputs, for `predict`. Each column the pipeline reads is found
 * by its source name (e.g. scikit-learn's `feature_names_in_`), by `input[i]`, or, for a one-column
 * input, by the input's name; a multi-column input may also be given as one array under its name.
 * A missing column or a value of the wrong kind is refused, naming the row and column.
 */
export function fromRows(
  pipeline: Pipeline,
  rows: readonly RowObject[],
): Record<string, Float32Array | string[]> {
  const slots = columnSlots(pipeline);
  const out = new InputBuilder(slots, rows.length, 'fromRows');
  rows.forEach((row, r) => {
    if (typeof row !== 'object' || row === null)
      throw new PipelineError(`row ${r} is not an object`, 'fromRows');
    slots.forEach((slot, k) => {
      const array = row[slot.input.name];
      if (Array.isArray(array) && slot.input.columns > 1) {
        if (array.length !== slot.input.columns)
          throw new PipelineError(
            `row ${r}, '${slot.input.name}': expected ${slot.input.columns} values, got ${array.length}`,
            'fromRows',
          );
        out.set(r, k, array[slot.index], `${slot.input.name}[${slot.index}]`);
        return;
      }
      const name = slot.names.find((n) => n in row);
      if (name === undefined)
        throw new PipelineError(
          `row ${r} has no column ${slot.names.map((n) => `'${n}'`).join(' or ')}`,
          'fromRows',
        );
      out.set(r, k, row[name], name);
    });
  });
  return out.build();
}
