import { allocArray, type TypedArray } from '../dtype.js';
import type { ReduceGroup } from '../opgroups.js';
import type { KernelFn, ReduceOp } from '../opset.js';
import { numel } from '../shape.js';
import { type CpuView, offsets } from './strided.js';

type H = TypedArray;

/**
 * Moves `axes` to the end of a view: the kept dims (row-major) index output elements, the reduced
 * dims (row-major) the elements of each. Returns the input offsets, grouped by output element.
 */
export function groupedOffsets(x: CpuView, axes: readonly number[]): { offs: Int32Array; inner: number } {
  const keep = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...keep, ...axes];
  const offs = offsets({ shape: order.map((d) => x.shape[d]), strides: order.map((d) => x.strides[d]), offset: x.offset });
  return { offs, inner: numel(axes.map((d) => x.shape[d])) };
}

const REDUCERS: Record<ReduceOp, { init: number; step: (acc: number, v: number) => number }> = {
  sum: { init: 0, step: (a, v) => a + v },
  max: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a) },
  min: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a) },
};

const reduce =
  (op: ReduceOp): KernelFn<H, ReduceOp> =>
  (out, [x], { axes }) => {
    const { offs, inner } = groupedOffsets(x, axes);
    const r = allocArray(out.dtype, numel(out.shape));
    const { init, step } = REDUCERS[op];
    const src = x.handle;
    for (let o = 0; o < r.length; o++) {
      let acc = init;
      for (let j = o * inner; j < (o + 1) * inner; j++) acc = step(acc, src[offs[j]]);
      r[o] = acc;
    }
    return r;
  };

export const reduceCpu = { sum: reduce('sum'), max: reduce('max'), min: reduce('min') } as { [K in ReduceGroup]: KernelFn<H, K> };
