import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { runMap } from '../ir/js.js';
import { runRowProgram } from '../ir/js-rows.js';
import { ROW_PROGRAMS, type RowProgram, type RowProgramOp } from '../ir/rows.js';
import type { ReduceGroup } from '../opgroups.js';
import type { FusedInput, KernelFn, KernelParams, OutSpec, ReduceOp, View } from '../opset.js';
import { axesLast, contiguousStrides, numel } from '../shape.js';
import { type CpuView, offsets } from './strided.js';

type H = TypedArray;

/**
 * Moves `axes` to the end of a view: the kept dims (row-major) index output elements, the reduced
 * dims (row-major) the elements of each. Returns the input offsets, grouped by output element.
 */
export function groupedOffsets(x: CpuView, axes: readonly number[]): { offs: Int32Array; inner: number } {
  const l = axesLast(x.shape, axes);
  return { offs: offsets({ shape: l.shape, strides: l.take(x.strides), offset: x.offset }), inner: l.len };
}

/**
 * Offsets of a view's rows along `axis`, in the input (`src`) and in a contiguous output of the
 * same shape (`dst`), both in the same axis-last order: for row ops that keep the shape.
 */
export function rowOffsets(x: CpuView, axis: number): { src: Int32Array; dst: Int32Array; inner: number } {
  const { offs, inner } = groupedOffsets(x, [axis]);
  const dst = groupedOffsets({ ...x, strides: contiguousStrides(x.shape), offset: 0 }, [axis]).offs;
  return { src: offs, dst, inner };
}

/** A kernel over plain views (fused inputs are computed before it runs). */
type ViewKernel<K extends ReduceGroup> = (out: OutSpec, inputs: View<H>[], params: KernelParams[K]) => H;

const REDUCERS: Record<ReduceOp, { init: number; step: (acc: number, v: number) => number }> = {
  sum: { init: 0, step: (a, v) => a + v },
  max: { init: -Infinity, step: (a, v) => (v > a || Number.isNaN(v) ? v : a) },
  min: { init: Infinity, step: (a, v) => (v < a || Number.isNaN(v) ? v : a) },
};

const reduce =
  (op: ReduceOp): ViewKernel<ReduceOp> =>
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

const argReduce =
  (better: (v: number, best: number) => boolean): ViewKernel<'argmax' | 'argmin'> =>
  (out, [x], { axis }) => {
    const { offs, inner } = groupedOffsets(x, [axis]);
    const r = new Int32Array(numel(out.shape));
    const src = x.handle;
    for (let o = 0; o < r.length; o++) {
      let best = src[offs[o * inner]];
      let bi = 0;
      for (let j = 1; j < inner; j++) {
        const v = src[offs[o * inner + j]];
        if (better(v, best)) {
          best = v;
          bi = j;
        }
      }
      r[o] = bi;
    }
    return r;
  };

/**
 * Applies `fn` to each row along `axis` (a gathered Float64Array copy) and writes the row it returns
 * back in the input's layout.
 */
function rowwise(
  x: CpuView,
  axis: number,
  outDtype: DType,
  fn: (row: Float64Array) => ArrayLike<number>,
): TypedArray {
  const { src: offs, dst, inner } = rowOffsets(x, axis);
  const r = allocArray(outDtype, numel(x.shape));
  const row = new Float64Array(inner);
  const src = x.handle;
  for (let o = 0; o < offs.length / Math.max(inner, 1); o++) {
    for (let j = 0; j < inner; j++) row[j] = src[offs[o * inner + j]];
    const res = fn(row);
    for (let j = 0; j < inner; j++) r[dst[o * inner + j]] = res[j];
  }
  return r;
}

/** A row op from its IR definition, written in a contiguous array of the input's shape. */
const rowProgram =
  <K extends RowProgramOp>(op: K): ViewKernel<K> =>
  (out, [x], params) => {
    const program = ROW_PROGRAMS[op] as RowProgram<K>;
    const { src, dst, inner } = rowOffsets(x, program.axis(params, x.shape.length));
    const r = allocArray(out.dtype, numel(x.shape));
    runRowProgram(program, x.handle, r, src, dst, inner, program.params(params));
    return r;
  };

const kernels: { [K in ReduceGroup]: ViewKernel<K> } = {
  sum: reduce('sum'),
  max: reduce('max'),
  min: reduce('min'),
  // NaN is the extremum of both, and its first occurrence wins, as in PyTorch.
  argmax: argReduce((v, best) => v > best || (Number.isNaN(v) && !Number.isNaN(best))),
  argmin: argReduce((v, best) => v < best || (Number.isNaN(v) && !Number.isNaN(best))),
  cumsum: (out, [x], { axis }) =>
    rowwise(x, axis, out.dtype, (row) => {
      const out = new Float64Array(row.length);
      let acc = 0;
      for (let j = 0; j < row.length; j++) {
        acc += row[j];
        out[j] = acc;
      }
      return out;
    }),
  softmax: rowProgram('softmax'),
  log_softmax: rowProgram('log_softmax'),
  layer_norm: rowProgram('layer_norm'),
  rms_norm: rowProgram('rms_norm'),
};

/** A fused input computed into an array first: the CPU gains nothing from reading it in the loop. */
function computed(x: View<H> | FusedInput<H>): View<H> {
  if (!('exp' in x)) return x;
  const handle = allocArray(x.dtype, numel(x.shape));
  runMap([x.exp], [handle], x.shape, [...x.sources], [...x.params]);
  return { handle, shape: x.shape, strides: contiguousStrides(x.shape), offset: 0, dtype: x.dtype };
}

export const reduceCpu = Object.fromEntries(
  Object.entries(kernels).map(([op, fn]) => [
    op,
    (out: OutSpec, [x, ...rest]: (View<H> | FusedInput<H>)[], params: never) =>
      (fn as ViewKernel<ReduceGroup>)(out, [computed(x), ...(rest as View<H>[])], params),
  ]),
) as { [K in ReduceGroup]: KernelFn<H, K> };
