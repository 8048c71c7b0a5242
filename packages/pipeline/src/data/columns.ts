import { PipelineError } from '../errors.js';
import type { Pipeline, ValueInfo } from '../ir/types.js';

/** One column a pipeline reads: which input it feeds, at which position, what it holds. */
export interface ColumnSlot {
  input: ValueInfo;
  /** Column index within the input. */
  index: number;
  /** The names a table or row may give it: the source's column name, `input[index]`, or the input's name for a one-column input. */
  names: string[];
}

/** Every column the pipeline reads, in input order, with the names it may be found under. */
export function columnSlots(pipeline: Pipeline): ColumnSlot[] {
  return pipeline.inputs.flatMap((input) =>
    Array.from({ length: input.columns }, (_, index) => ({
      input,
      index,
      names: [
        ...(input.columnNames ? [input.columnNames[index]] : []),
        `${input.name}[${index}]`,
        ...(input.columns === 1 ? [input.name] : []),
      ],
    })),
  );
}

/**
 * Where each slot's values come from in a table with these column names: by name where the
 * table names a slot, else (`positional`) by position among the table's columns.
 */
export function matchColumns(slots: ColumnSlot[], names: readonly string[], what: string): number[] {
  const at = new Map(names.map((n, i) => [n, i]));
  const found = slots.map((s) => s.names.map((n) => at.get(n)).find((i) => i !== undefined));
  if (found.every((i) => i !== undefined)) return found as number[];
  if (found.some((i) => i !== undefined)) {
    const missing = slots.filter((_, k) => found[k] === undefined).map((s) => s.names[0]);
    throw new PipelineError(
      `${what} has no column ${missing
        .slice(0, 5)
        .map((m) => `'${m}'`)
        .join(
          ', ',
        )}${missing.length > 5 ? ` (and ${missing.length - 5} more)` : ''}; it has ${names.map((n) => `'${n}'`).join(', ')}`,
      what,
    );
  }
  if (names.length !== slots.length)
    throw new PipelineError(
      `${what} has ${names.length} columns and none named as the pipeline's; by position it needs exactly ${slots.length}`,
      what,
    );
  return slots.map((_, k) => k);
}

/** Collects row values into each input's row-major buffer (numbers as float32, strings as strings). */
export class InputBuilder {
  private readonly numbers = new Map<string, Float32Array>();
  private readonly strings = new Map<string, string[]>();

  constructor(
    private readonly slots: ColumnSlot[],
    readonly rows: number,
    private readonly what: string,
  ) {
    for (const input of new Set(slots.map((s) => s.input))) {
      if (input.kind === 'string') this.strings.set(input.name, new Array(rows * input.columns).fill(''));
      else this.numbers.set(input.name, new Float32Array(rows * input.columns));
    }
  }

  /** Sets slot `k` of row `r`; errors name `columnName` and `where` the row is (default `row r`). */
  set(r: number, k: number, value: unknown, columnName: string, where = `row ${r}`): void {
    const { input, index } = this.slots[k];
    const at = r * input.columns + index;
    if (input.kind === 'string') {
      if (typeof value !== 'string' && typeof value !== 'number')
        throw new PipelineError(
          `${where}, column '${columnName}': expected a category (string), got ${describe(value)}`,
          this.what,
        );
      (this.strings.get(input.name) as string[])[at] = String(value);
      return;
    }
    const v = typeof value === 'string' ? parseNumber(value) : value;
    if (typeof v !== 'number' && typeof v !== 'bigint' && v !== null && v !== undefined)
      throw new PipelineError(
        `${where}, column '${columnName}': expected a number, got ${describe(value)}`,
        this.what,
      );
    if (Number.isNaN(v) && typeof value === 'string' && value.trim() !== '' && !/^nan$/i.test(value.trim()))
      throw new PipelineError(
        `${where}, column '${columnName}': expected a number, got '${value}'`,
        this.what,
      );
    // null/undefined/empty are missing values: NaN, which tree models route by their missing-value rule.
    (this.numbers.get(input.name) as Float32Array)[at] =
      v === null || v === undefined ? Number.NaN : Number(v);
  }

  /** The inputs by name, ready for `predict`. */
  build(): Record<string, Float32Array | string[]> {
    return Object.fromEntries([...this.numbers, ...this.strings]);
  }
}

/** A CSV cell or JSON string as a number: empty and 'NaN' are missing (NaN); anything else unparsable is NaN too, refused by the caller. */
const parseNumber = (s: string): number => (s.trim() === '' ? Number.NaN : Number(s));

const describe = (v: unknown) =>
  typeof v === 'string' ? `'${v}'` : typeof v === 'object' ? JSON.stringify(v) : String(v);
