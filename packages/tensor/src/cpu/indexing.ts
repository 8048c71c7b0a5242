import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { IndexError } from '../errors.js';
import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { groupedOffsets } from './reduce.js';
import { type CpuView, materialize, offsets } from './strided.js';

type H = TypedArray;

/** Reads the index values, throwing IndexError (before anything is allocated) for one outside [0, size). */
function checkedIndices(op: string, index: CpuView, size: number): TypedArray {
  const idx = materialize(index);
  for (const t of idx) {
    if (t < 0 || t >= size)
      throw new IndexError(`${op}: index ${t} is out of range for a dimension of size ${size}`);
  }
  return idx;
}

/** An index vector along `axis` seen as a tensor of `shape` (stride 0 on every other dim). */
const spread = (index: CpuView, shape: readonly number[], axis: number): CpuView => ({
  ...index,
  shape,
  strides: shape.map((_, d) => (d === axis ? index.strides[0] : 0)),
});

/** `x[..., index[i], ...]` at every position i of `index`'s shape (torch.gather). */
function gather(op: string, x: CpuView, index: CpuView, axis: number, outDtype: DType): H {
  const idx = checkedIndices(op, index, x.shape[axis]);
  const base = offsets({
    shape: index.shape,
    strides: x.strides.map((s, d) => (d === axis ? 0 : s)),
    offset: x.offset,
  });
  const out = allocArray(outDtype, idx.length);
  const step = x.strides[axis];
  for (let i = 0; i < idx.length; i++) out[i] = x.handle[base[i] + idx[i] * step];
  return out;
}

/** A copy of `x` with `src[i]` added at `index[i]` along `axis` for every position i of `index`'s shape. */
function scatterAdd(op: string, x: CpuView, index: CpuView, src: CpuView, axis: number): H {
  const idx = checkedIndices(op, index, x.shape[axis]);
  const out = materialize(x).slice();
  const strides = contiguousStrides(x.shape);
  const base = offsets({
    shape: index.shape,
    strides: strides.map((s, d) => (d === axis ? 0 : s)),
    offset: 0,
  });
  const values = materialize({ ...src, shape: index.shape });
  for (let i = 0; i < idx.length; i++) out[base[i] + idx[i] * strides[axis]] += values[i];
  return out;
}

export const indexingCpu: { [K in IndexingGroup]: KernelFn<H, K> } = {
  gather: (out, [x, index], { axis }) => gather('gather', x, index, axis, out.dtype),
  index_select: (out, [x, index], { axis }) =>
    gather('index_select', x, spread(index, out.shape, axis), axis, out.dtype),
  scatter_add: (_out, [x, index, src], { axis }) => scatterAdd('scatter_add', x, index, src, axis),
  index_add: (_out, [x, index, src], { axis }) =>
    scatterAdd('index_add', x, spread(index, src.shape, axis), src, axis),
  one_hot: (out, [index], { classes }) => {
    const idx = checkedIndices('one_hot', index, classes);
    const r = new Int32Array(numel(out.shape));
    for (let i = 0; i < idx.length; i++) r[i * classes + idx[i]] = 1;
    return r;
  },
  argsort: (out, [x], { axis, descending }) => {
    const { offs, inner } = groupedOffsets(x, [axis]);
    const r = new Int32Array(numel(out.shape));
    const dst = groupedOffsets({ ...x, strides: contiguousStrides(x.shape), offset: 0 }, [axis]).offs;
    const order = Array.from({ length: inner }, (_, j) => j);
    const sign = descending ? -1 : 1;
    for (let o = 0; o * inner < offs.length; o++) {
      const v = (j: number) => x.handle[offs[o * inner + j]];
      // Array.prototype.sort is stable, so ties keep their order, as torch.sort(stable=True).
      const sorted = order.slice().sort((p, q) => sign * (v(p) - v(q)));
      for (let j = 0; j < inner; j++) r[dst[o * inner + j]] = sorted[j];
    }
    return r;
  },
};
