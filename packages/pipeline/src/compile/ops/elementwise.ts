import * as T from '@tessera/tensor';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/** A per-column constant as a [1, columns] row (or [1, 1] for one value for all columns). */
export const row = (values: readonly number[], backend: T.Backend) =>
  T.tensor(Float32Array.from(values), { shape: [1, values.length], backend });

const input = (xs: unknown[]) => xs[0] as T.Tensor;

/** y = (x − offset) · scale. */
export const scaler: CompileRule<'scaler'> = (op, { backend }) => {
  const offset = row(op.offset, backend);
  const scale = row(op.scale, backend);
  return compiled((xs) => [T.mul(T.sub(input(xs), offset), scale)], [offset, scale]);
};

/** Rows divided by a norm; a zero norm leaves the row unchanged. */
export const normalizer: CompileRule<'normalizer'> = (op) =>
  compiled((xs) => {
    const x = input(xs);
    const norm =
      op.norm === 'l1'
        ? T.sum(T.abs(x), 1, true)
        : op.norm === 'l2'
          ? T.sqrt(T.sum(T.square(x), 1, true))
          : op.norm === 'largest'
            ? // onnxruntime's running maximum, which a NaN never replaces
              T.max(T.where(T.ne(x, x), Number.NEGATIVE_INFINITY, x), 1, true)
            : T.max(T.abs(x), 1, true);
    return [T.div(x, T.where(T.eq(norm, 0), 1, norm))];
  });

/** Entries equal to the missing marker (NaN matches NaN) replaced by their column's fill value. */
export const imputer: CompileRule<'imputer'> = (op, { backend }) => {
  const fill = row(op.fill, backend);
  return compiled(
    (xs) => {
      const x = input(xs);
      const missing = Number.isNaN(op.missing) ? T.ne(x, x) : T.eq(x, op.missing);
      return [T.where(missing, T.expand(fill, [...x.shape]), x)];
    },
    [fill],
  );
};

/** 1 where x > threshold, else 0 (NaN gives 0). */
export const binarizer: CompileRule<'binarizer'> = (op) =>
  compiled((xs) => [T.cast(T.gt(input(xs), op.threshold), 'f32')]);

/** x ∘ c with a per-column (or single) constant. */
export const constant: CompileRule<'constant'> = (op, { backend }) => {
  const c = row(op.value, backend);
  const f = { add: T.add, sub: T.sub, mul: T.mul, div: T.div }[op.fn];
  return compiled((xs) => [f(input(xs), c)], [c]);
};

/** relu, sigmoid, tanh, a row softmax, truncation toward zero, or the identity. */
export const activation: CompileRule<'activation'> = (op) => {
  const f = {
    relu: T.relu,
    sigmoid: T.sigmoid,
    tanh: T.tanh,
    softmax: (x: T.Tensor) => T.softmax(x, 1),
    identity: (x: T.Tensor) => x,
    // Toward zero through i32: exact for |x| < 2^31 (labels, category codes); NaN stays NaN.
    trunc: (x: T.Tensor) => T.where(T.ne(x, x), x, T.cast(T.cast(x, 'i32'), 'f32')),
  }[op.fn];
  return compiled((xs) => [f(input(xs))]);
};
