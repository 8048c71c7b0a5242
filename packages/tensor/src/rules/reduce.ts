import type { ReduceOp } from '../opset.js';
import { cast, div, eq, mul } from '../ops/elementwise.js';
import { expand, reshape } from '../ops/movement.js';
import { sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor.js';
import { needDType } from './check.js';
import type { Backward, KernelRule, KernelRules } from './types.js';

/** Reshapes a reduced gradient back to broadcast against the input. */
const unreduce = (g: Tensor, x: Tensor, axes: number[]): Tensor =>
  expand(reshape(g, x.shape.map((d, i) => (axes.includes(i) ? 1 : d))), [...x.shape]);

// max/min: the gradient is shared equally by all elements equal to the extremum (as torch.amax does).
const extremumGrad: Backward<ReduceOp> = (g, { inputs: [x], out, params: { axes } }) => {
  const hit = cast(eq(x, unreduce(out, x, axes)), 'f32');
  const count = sum(hit, axes);
  return [mul(hit, unreduce(div(g, count), x, axes))];
};

const reduceRule = (op: ReduceOp, grad: Backward<ReduceOp>): KernelRule<ReduceOp> => ({
  infer: ([x], { axes }) => {
    if (op === 'sum') needDType(op, x, 'input', ['f32', 'i32', 'u32']);
    return { shape: x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
  },
  grad,
});

export const reduceRules: KernelRules<ReduceOp> = {
  sum: reduceRule('sum', (g, { inputs: [x], params: { axes } }) => [unreduce(g, x, axes)]),
  max: reduceRule('max', extremumGrad),
  min: reduceRule('min', extremumGrad),
};
