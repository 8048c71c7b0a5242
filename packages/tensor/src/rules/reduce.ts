import { type DType, FLOATS } from '../dtype.js';
import type { ReduceGroup } from '../opgroups.js';
import { add, cast, div, eq, exp, mul, rsqrt, sub } from '../ops/elementwise.js';
import { expand, reshape } from '../ops/movement.js';
import { cumsum, mean, sum, variance } from '../ops/reduce.js';
import type { ReduceOp } from '../opset.js';
import type { Tensor } from '../tensor.js';
import { needDType } from './check.js';
import type { Backward, KernelRule, KernelRules } from './types.js';

/** Reshapes a reduced gradient back to broadcast against the input. */
const unreduce = (g: Tensor, x: Tensor, axes: number[]): Tensor =>
  expand(
    reshape(
      g,
      x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
    ),
    [...x.shape],
  );

// max/min: the gradient is shared equally by all elements equal to the extremum (as torch.amax does).
const extremumGrad: Backward<ReduceOp> = (g, { inputs: [x], out, params: { axes } }) => {
  const hit = cast(eq(x, unreduce(out, x, axes)), 'f32');
  const count = sum(hit, axes);
  return [mul(hit, unreduce(div(g, count), x, axes))];
};

const NUMERIC = ['f32', 'f16', 'i32', 'u32'] as const;

const reduceRule = (op: ReduceOp, grad: Backward<ReduceOp>): KernelRule<ReduceOp> => ({
  infer: ([x], { axes }) => {
    needDType(op, x, 'input', NUMERIC);
    if (op !== 'sum' && axes.some((a) => x.shape[a] === 0)) {
      throw new RangeError(`${op}: cannot reduce over an empty dimension (shape [${x.shape.join(', ')}])`);
    }
    return { shape: x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
  },
  grad,
});

const argRule = (op: 'argmax' | 'argmin'): KernelRule<'argmax' | 'argmin'> => ({
  infer: ([x], { axis }) => {
    needDType(op, x, 'input', NUMERIC);
    if (x.shape[axis] === 0) throw new RangeError(`${op}: cannot reduce over an empty dimension ${axis}`);
    return { shape: x.shape.filter((_, i) => i !== axis), dtype: 'i32' };
  },
  grad: { nondifferentiable: 'returns integer indices, which have no gradient' },
});

/** Row ops keep the input's shape; the float ones take f32 and f16 only. */
const rowInfer =
  (op: string, dtypes: readonly DType[]) =>
  ([x]: readonly Tensor[]) => {
    needDType(op, x, 'input', dtypes);
    return { shape: x.shape, dtype: x.dtype };
  };

const last = (x: Tensor) => x.rank - 1;

export const reduceRules: KernelRules<ReduceGroup> = {
  sum: reduceRule('sum', (g, { inputs: [x], params: { axes } }) => [unreduce(g, x, axes)]),
  max: reduceRule('max', extremumGrad),
  min: reduceRule('min', extremumGrad),
  argmax: argRule('argmax'),
  argmin: argRule('argmin'),
  cumsum: {
    infer: rowInfer('cumsum', NUMERIC),
    // d/dx_i of Σ_k g_k · Σ_{j≤k} x_j is Σ_{k≥i} g_k: the total minus the running sum before i.
    grad: (g, { params: { axis } }) => [sub(sum(g, axis, true), sub(cumsum(g, axis), g))],
  },
  softmax: {
    infer: rowInfer('softmax', FLOATS),
    grad: (g, { out, params: { axis } }) => [mul(out, sub(g, sum(mul(g, out), axis, true)))],
  },
  log_softmax: {
    infer: rowInfer('log_softmax', FLOATS),
    grad: (g, { out, params: { axis } }) => [sub(g, mul(exp(out), sum(g, axis, true)))],
  },
  layer_norm: {
    infer: rowInfer('layer_norm', FLOATS),
    // dx = rstd · (g − mean(g) − x̂ · mean(g · x̂))
    grad: (g, { inputs: [x], out, params: { eps } }) => {
      const rstd = rsqrt(add(variance(x, last(x), { correction: 0, keepdim: true }), eps));
      const inner = sub(sub(g, mean(g, last(x), true)), mul(out, mean(mul(g, out), last(x), true)));
      return [mul(rstd, inner)];
    },
  },
  rms_norm: {
    infer: rowInfer('rms_norm', FLOATS),
    // y = x · r with r = (mean(x²) + eps)^(−1/2): dx = r · (g − y · mean(g · y))
    grad: (g, { inputs: [x], out, params: { eps } }) => {
      const r = rsqrt(add(mean(mul(x, x), last(x), true), eps));
      return [mul(r, sub(g, mul(out, mean(mul(g, out), last(x), true))))];
    },
  },
};
