import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { IndexError } from '../errors.js';
import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { rowOffsets } from './reduce.js';
import { type CpuView, materialize, offsets } from './strided.js';

type H = TypedArray;

/**
 * Reads the index values, throwing IndexError (before anything is allocated) for one outside
 * [0, size). Negative indices are out of range: they are not wrapped, as in torch.gather.
 */
function checkedIndices(op: string, index: CpuView, size: number, dim: string): TypedArray {
  const idx = materialize(index);
  for (const t of idx) {
    if (t < 0 || t >= size) {
      throw new IndexError(
        `${op}: index ${t} (in argument 'index') is out of range for ${dim} of size ${size}; valid indices are 0..${size - 1}, negative ones are not wrapped`,
      );
    }
  }
  return idx;
}

/** An index vector along `axis` seen as a tensor of `shape` (stride 0 on every other dim). */
const spread = (index: CpuView, shape: readonly number[], axis: number): CpuView => ({
  ...index,
  shape,
  strides: shape.map((_, d) => (d === axis ? index.strides[0] : 0)),
});

/** `x[..., idx[i], ...]` at every position i of `shape` (torch.gather); `idx` is already checked. */
function gather(x: CpuView, shape: readonly number[], idx: TypedArray, axis: number, outDtype: DType): H {
  const base = offsets({ shape, strides: x.strides.map((s, d) => (d === axis ? 0 : s)), offset: x.offset });
  const out = allocArray(outDtype, idx.length);
  const step = x.strides[axis];
  for (let i = 0; i < idx.length; i++) out[i] = x.handle[base[i] + idx[i] * step];
  return out;
}

/** A copy of `x` with `src[i]` added at `idx[i]` along `axis` for every position i of `shape`; `idx` is already checked. */
function scatterAdd(x: CpuView, shape: readonly number[], idx: TypedArray, src: CpuView, axis: number): H {
  const out = allocArray(x.dtype, numel(x.shape));
  out.set(materialize(x));
  const strides = contiguousStrides(x.shape);
  const base = offsets({ shape, strides: strides.map((s, d) => (d === axis ? 0 : s)), offset: 0 });
  const values = materialize({ ...src, shape });
  for (let i = 0; i < idx.length; i++) out[base[i] + idx[i] * strides[axis]] += values[i];
  return out;
}

/**
 * A total order for sorting: NaN after everything (PyTorch's order), -0 equal to +0. Returns < 0
 * when `a` sorts first ascending.
 */
export function compare(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  return Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : -1;
}

export const indexingCpu: { [K in IndexingGroup]: KernelFn<H, K> } = {
  gather: (out, [x, index], { axis }) => {
    const idx = checkedIndices('gather', index, x.shape[axis], `dim ${axis} of input`);
    return gather(x, index.shape, idx, axis, out.dtype);
  },
  index_select: (out, [x, index], { axis }) => {
    checkedIndices('index_select', index, x.shape[axis], `dim ${axis} of input`);
    return gather(x, out.shape, materialize(spread(index, out.shape, axis)), axis, out.dtype);
  },
  scatter_add: (_out, [x, index, src], { axis }) => {
    const idx = checkedIndices('scatter_add', index, x.shape[axis], `dim ${axis} of input`);
    return scatterAdd(x, index.shape, idx, src, axis);
  },
  index_add: (_out, [x, index, src], { axis }) => {
    checkedIndices('index_add', index, x.shape[axis], `dim ${axis} of input`);
    return scatterAdd(x, src.shape, materialize(spread(index, src.shape, axis)), src, axis);
  },
  one_hot: (out, [index], { classes }) => {
    const idx = checkedIndices('one_hot', index, classes, 'classes');
    const r = new Int32Array(numel(out.shape));
    for (let i = 0; i < idx.length; i++) r[i * classes + idx[i]] = 1;
    return r;
  },
  argsort: (out, [x], { axis, descending }) => {
    const r = new Int32Array(numel(out.shape));
    const len = x.shape[axis];
    if (r.length === 0) return r;
    const { src: offs, dst } = rowOffsets(x, axis);
    const row = new Float64Array(len);
    const order = Array.from({ length: len }, (_, j) => j);
    const sign = descending ? -1 : 1;
    const byValue = (p: number, q: number) => sign * compare(row[p], row[q]);
    for (let o = 0; o * len < offs.length; o++) {
      for (let j = 0; j < len; j++) row[j] = x.handle[offs[o * len + j]];
      // Array.prototype.sort is stable, so ties keep their order, as torch.sort(stable=True).
      const sorted = order.slice().sort(byValue);
      for (let j = 0; j < len; j++) r[dst[o * len + j]] = sorted[j];
    }
    return r;
  },
};
