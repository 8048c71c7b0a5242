import * as T from '@tessera/tensor';
import type { HostStrings, RunValue } from '../value.js';
import { isStrings } from '../value.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/** The columns of host strings at `indices`, row by row. */
function selectStrings(x: HostStrings, indices: readonly number[], rows: number): HostStrings {
  const strings: string[] = [];
  for (let r = 0; r < rows; r++) for (const c of indices) strings.push(x.strings[r * x.columns + c]);
  return { strings, columns: indices.length };
}

/** The columns at `indices`, in that order (strings stay on the host). */
export const select: CompileRule<'select'> = (op, { backend }) => {
  const index = T.tensor(Int32Array.from(op.indices), { backend });
  return compiled(
    ([x], rows) => [
      isStrings(x) ? selectStrings(x, op.indices, rows) : T.indexSelect(x as T.Tensor, 1, index),
    ],
    [index],
  );
};

/** Inputs side by side; strings side by side on the host. */
export const concat: CompileRule<'concat'> = () =>
  compiled((xs: RunValue[], rows) => {
    if (!xs.some(isStrings)) return [T.concat(xs as T.Tensor[], 1)];
    const parts = xs as HostStrings[];
    const columns = parts.reduce((s, p) => s + p.columns, 0);
    const strings: string[] = [];
    for (let r = 0; r < rows; r++)
      for (const p of parts) strings.push(...p.strings.slice(r * p.columns, (r + 1) * p.columns));
    return [{ strings, columns }];
  });
