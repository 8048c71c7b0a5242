import * as T from '@tessera/tensor';
import { PipelineError } from '../../errors.js';
import type { HostStrings, RunValue } from '../value.js';
import { isStrings } from '../value.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/**
 * Host strings → the index of each in its column's categories (−1 when it is none of them), as an
 * i32 [rows, columns] tensor: the device then works on indices.
 */
function stringCodes(
  x: HostStrings,
  categories: readonly (readonly string[])[],
  rows: number,
  backend: T.Backend,
): T.Tensor {
  const lookups = categories.map((cats) => new Map(cats.map((c, i) => [c, i])));
  const codes = new Int32Array(rows * x.columns);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < x.columns; c++)
      codes[r * x.columns + c] = lookups[c].get(x.strings[r * x.columns + c]) ?? -1;
  }
  return T.tensor(codes, { shape: [rows, x.columns], backend });
}

/**
 * One-hot codes of each column against its categories, concatenated. Numbers compare as float32
 * (the categories are rounded to float32 as the input is); strings are looked up on the host. An
 * unknown value gives zeros, or with `unknown: 'error'` a PipelineError naming the column and row.
 */
export const oneHot: CompileRule<'oneHot'> = (op, { backend }) => {
  const strings = op.categories.every((cats) => cats.every((c) => typeof c === 'string'));
  // Numbers: the category values; strings: their indices (the host turns strings into indices).
  const cats = op.categories.map((c, i) =>
    T.tensor(
      strings ? Float32Array.from({ length: c.length }, (_, k) => k) : Float32Array.from(c as number[]),
      {
        shape: [1, op.categories[i].length],
        backend,
      },
    ),
  );
  const hot = (x: RunValue, rows: number) => {
    const values = isStrings(x)
      ? T.cast(stringCodes(x, op.categories as string[][], rows, backend), 'f32')
      : (x as T.Tensor);
    return cats.map((c, col) => T.cast(T.eq(T.narrow(values, 1, col, 1), c), 'f32'));
  };
  if (op.unknown !== 'error') {
    // Synchronous (nothing read back), so that a trained network can run through it.
    return compiled(([x], rows) => [T.concat(hot(x, rows), 1)], cats);
  }
  return compiled(async ([x], rows) => {
    const hits = hot(x, rows);
    // 1 where a row's value in a column is one of its categories.
    const known = await T.concat(
      hits.map((h) => T.max(h, 1, true)),
      1,
    ).data();
    const bad = known.indexOf(0);
    if (bad >= 0) {
      const [r, c] = [Math.floor(bad / cats.length), bad % cats.length];
      throw new PipelineError(
        `row ${r}, column ${c}: the value is not one of the encoder's categories`,
        'oneHot',
      );
    }
    return [T.concat(hits, 1)];
  }, cats);
};

/**
 * A lookup of each entry: numbers to numbers on the device (one comparison per key, the fallback
 * where none matches), anything involving strings on the host.
 */
export const labelEncoder: CompileRule<'labelEncoder'> = (op, { backend }) => {
  const numeric = typeof op.fallback === 'number' && op.keys.every((k) => typeof k === 'number');
  if (numeric) {
    const keys = op.keys as number[];
    const values = op.values as number[];
    return compiled(([x]) => {
      let out = T.fullLike(x as T.Tensor, op.fallback as number);
      keys.forEach((k, i) => {
        // A NaN key matches NaN (ai.onnx.ml 4); comparing with NaN never would.
        const hit = Number.isNaN(k)
          ? T.ne(x as T.Tensor, x as T.Tensor)
          : T.eq(x as T.Tensor, Math.fround(k));
        out = T.where(hit, values[i], out);
      });
      return [out];
    });
  }
  // Map keys compare with SameValueZero: a NaN key finds NaN.
  const map = new Map<number | string, number | string>(op.keys.map((k, i) => [k, op.values[i]]));
  return compiled(async ([x], rows) => {
    const entries = isStrings(x) ? x.strings : [...(await (x as T.Tensor).data())];
    const columns = isStrings(x) ? x.columns : (x as T.Tensor).shape[1];
    const mapped = entries.slice(0, rows * columns).map((e) => map.get(e) ?? op.fallback);
    if (typeof op.fallback === 'string') return [{ strings: mapped as string[], columns }];
    return [T.tensor(Float32Array.from(mapped as number[]), { shape: [rows, columns], backend })];
  });
};
