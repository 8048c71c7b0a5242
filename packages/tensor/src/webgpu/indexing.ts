import {
  tensor_atomic_add_f32,
  tensor_fault,
  tensor_gather,
  tensor_onehot,
  tensor_scatter,
  tensor_sort,
  tensor_sort_merge,
} from '@tessera/kernels';
import type { DType } from '../dtype.js';
import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn, View } from '../opset.js';
import { axesLast, contiguousStrides, numel } from '../shape.js';
import { fill, StridedViews, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';
import { copy } from './map.js';

type H = GPUBuffer;
type Addressing = Pick<View, 'shape' | 'strides' | 'offset'>;

interface GroupLaunch {
  /** Kernel name (the template's file) and the op, for labels and the cache key. */
  kernel: string;
  op: string;
  template: string;
  /** Every template variable but PARAMS, INDEX, FAULT and WG; part of the cache key. */
  vars: Record<string, string | number>;
  /** Template variables holding shared WGSL, determined by `vars` (so not in the key). */
  includes?: Record<string, string>;
  /** Bound in order; the parameter block binds after them. */
  buffers: H[];
  views: StridedViews;
  /** Names of `views`' addressing functions (`idx_<name>`). */
  names: string[];
  workgroups: number;
  /** Parameter words when not `views.words` (a pass that changes a header word). */
  words?: number[];
  wg?: number;
}

/** Launches one of this group's templates, filling the parts they share. */
function launch(g: Gpu, l: GroupLaunch): void {
  const wg = l.wg ?? g.wg;
  g.launch({
    key: `${l.kernel}:${l.op}:${JSON.stringify(l.vars)}:${wg}:${l.views.key}`,
    label: `tensor/${l.kernel}:${l.op}`,
    source: () =>
      fill(l.template, {
        ...l.vars,
        ...l.includes,
        PARAMS: g.params(l.buffers.length, l.views.words),
        INDEX: l.views.fns(l.names),
        FAULT: tensor_fault,
        WG: wg,
      }),
    buffers: l.buffers,
    words: l.words ?? l.views.words,
    workgroups: l.workgroups,
  });
}

/** An index vector along `axis` seen over `shape` (stride 0 on every other dim). */
const spread = (index: View<H>, shape: readonly number[], axis: number): View<H> => ({
  ...index,
  shape,
  strides: shape.map((_, d) => (d === axis ? index.strides[0] : 0)),
});

/** `t` over `shape` with the `axis` coordinate dropped (stride 0): the base each index offsets from. */
const axisBase = (t: Addressing, shape: readonly number[], axis: number): Addressing => ({
  shape,
  strides: t.strides.map((s, d) => (d === axis ? 0 : s)),
  offset: t.offset,
});

function gather(g: Gpu, op: string, x: View<H>, index: View<H>, axis: number, dtype: DType): H {
  const out = g.alloc({ shape: index.shape, dtype });
  const n = numel(index.shape);
  const views = new StridedViews(
    index.shape,
    [index, axisBase(x, index.shape, axis)],
    [n, x.shape[axis], x.strides[axis]],
  );
  launch(g, {
    kernel: 'gather',
    op,
    template: tensor_gather,
    vars: { T: wgslType(x.dtype) },
    buffers: [x.handle, index.handle, out, g.faultBuffer()],
    views,
    names: ['ix', 'xb'],
    workgroups: Math.ceil(n / g.wg),
  });
  return out;
}

function scatterAdd(g: Gpu, op: string, x: View<H>, index: View<H>, src: View<H>, axis: number): H {
  const out = copy(g, x);
  const n = numel(index.shape);
  const strides = contiguousStrides(x.shape);
  const dst = { shape: x.shape, strides, offset: 0 };
  const srcView = { shape: index.shape, strides: src.strides, offset: src.offset };
  const views = new StridedViews(
    index.shape,
    [index, srcView, axisBase(dst, index.shape, axis)],
    [n, x.shape[axis], strides[axis]],
  );
  const T = wgslType(x.dtype);
  const float = T === 'f32';
  launch(g, {
    kernel: 'scatter',
    op,
    template: tensor_scatter,
    vars: {
      T,
      ATOMIC: float ? 'u32' : T,
      ADD: float ? 'atomic_add_f32(p, v);' : 'atomicAdd(&out[p], v);',
    },
    includes: { ATOMIC_F32: float ? tensor_atomic_add_f32 : '' },
    buffers: [src.handle, index.handle, out, g.faultBuffer()],
    views,
    names: ['ix', 'sv', 'db'],
    workgroups: Math.ceil(n / g.wg),
  });
  return out;
}

function oneHot(g: Gpu, index: View<H>, classes: number, out: H): H {
  const n = numel(index.shape) * classes;
  launch(g, {
    kernel: 'onehot',
    op: 'one_hot',
    template: tensor_onehot,
    vars: {},
    buffers: [index.handle, out, g.faultBuffer()],
    views: new StridedViews(index.shape, [index], [n, classes]),
    names: ['ix'],
    workgroups: Math.ceil(n / g.wg),
  });
  return out;
}

/**
 * WGSL body of `sort_key(v)`: a u32 whose unsigned order is the sort order. Floats: the sign-flip
 * trick on the bits, after -0 → +0 (they compare equal, so they must tie) and every NaN → one
 * quiet NaN (PyTorch sorts NaN above +inf). Tested on bits: WGSL may fold `v != v` away.
 */
function sortKey(dtype: DType, descending: boolean): string {
  const key =
    dtype === 'f32'
      ? `var b = bitcast<u32>(v);
  let mag = b & 0x7fffffffu;
  if (mag == 0u) { b = 0u; }
  if (mag > 0x7f800000u) { b = 0x7fc00000u; }
  let k = select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);`
      : dtype === 'i32'
        ? 'let k = bitcast<u32>(v) ^ 0x80000000u;'
        : 'let k = v;';
  return `${key}\n  return ${descending ? '~k' : 'k'};`;
}

const pow2Below = (n: number) => 2 ** Math.floor(Math.log2(n));
const pow2Above = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

/**
 * Stable argsort along `axis`. Rows up to CAP elements (2048, or what 8 bytes an element of
 * workgroup memory allows) are bitonic-sorted in workgroup memory in one launch. Longer rows are
 * sorted in CAP blocks and merged pairwise by binary search, log2(len / CAP) more launches:
 * O(n log² n) work in all, every launch fully parallel.
 */
function argsort(g: Gpu, x: View<H>, axis: number, descending: boolean, outShape: readonly number[]): H {
  const buf = g.alloc({ shape: outShape, dtype: 'i32' });
  const n = numel(x.shape);
  if (n === 0) return buf;
  const { shape, len, rows, take } = axesLast(x.shape, [axis]);
  const capMax = Math.min(2048, pow2Below(g.ctx.limits.maxComputeWorkgroupStorageSize / 8));
  const cap = Math.min(capMax, pow2Above(len));
  const wg = Math.min(pow2Below(g.wg), capMax / 2);
  const span = Math.max(cap, 2 * wg);
  const blocks = Math.ceil(len / cap);
  const views = new StridedViews(
    shape,
    [
      { shape, strides: take(x.strides), offset: x.offset },
      { shape, strides: take(contiguousStrides(outShape)), offset: 0 },
    ],
    [n, rows, len, blocks, 0],
  );
  // The last launch writes indices to the output; earlier ones write (key, position) pairs to scratch.
  const single = blocks === 1;
  let pairs = single ? buf : g.ctx.createBuffer(n * 8);
  launch(g, {
    kernel: 'sort',
    op: 'argsort',
    template: tensor_sort,
    vars: {
      T: wgslType(x.dtype),
      KEY: sortKey(x.dtype, descending),
      CAP: cap,
      S: span,
      OUT: single ? 'i32' : 'vec2<u32>',
      STORE: single ? 'out[idx_o(e)] = i32(ids[t]);' : 'out[e] = vec2<u32>(keys[t], ids[t]);',
    },
    buffers: [x.handle, pairs],
    views,
    names: ['a', 'o'],
    workgroups: Math.ceil((rows * blocks) / (span / cap)),
    wg,
  });
  for (let w = cap; w < len; w *= 2) {
    const last = w * 2 >= len;
    const next = last ? buf : g.ctx.createBuffer(n * 8);
    const words = [...views.words];
    words[4] = w;
    launch(g, {
      kernel: 'sort_merge',
      op: 'argsort',
      template: tensor_sort_merge,
      vars: {
        OUT: last ? 'i32' : 'vec2<u32>',
        STORE: last ? 'out[idx_o(d)] = i32(v.y);' : 'out[d] = v;',
      },
      buffers: [pairs, next],
      views,
      names: ['o'],
      words,
      workgroups: Math.ceil(n / g.wg),
    });
    // Released buffers go back to the pool only after the work recorded on them has run.
    g.ctx.releaseBuffer(pairs);
    pairs = next;
  }
  return buf;
}

export function indexingGpu(g: Gpu): { [K in IndexingGroup]: KernelFn<H, K> } {
  return {
    gather: (out, [x, index], { axis }) => gather(g, 'gather', x, index, axis, out.dtype),
    index_select: (out, [x, index], { axis }) =>
      gather(g, 'index_select', x, spread(index, out.shape, axis), axis, out.dtype),
    scatter_add: (_out, [x, index, src], { axis }) => scatterAdd(g, 'scatter_add', x, index, src, axis),
    index_add: (_out, [x, index, src], { axis }) =>
      scatterAdd(g, 'index_add', x, spread(index, src.shape, axis), src, axis),
    one_hot: (out, [index], { classes }) => oneHot(g, index, classes, g.alloc(out)),
    argsort: (out, [x], { axis, descending }) => argsort(g, x, axis, descending, out.shape),
  };
}
