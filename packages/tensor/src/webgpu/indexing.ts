import { type ParamSchema, paramBlock, specialize } from '@tessera/gpu';
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
import { fill, stridedViews, type ViewsSpec, viewsCode, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';
import { copy } from './map.js';

type H = GPUBuffer;
type Addressing = Pick<View, 'strides' | 'offset'>;

/** Which of this group's kernels, with what its WGSL depends on besides the addressing. */
type IndexKernel =
  | { kernel: 'gather'; type: WgslScalar }
  | { kernel: 'scatter'; type: WgslScalar }
  | { kernel: 'onehot' }
  | { kernel: 'sort'; dtype: DType; descending: boolean; cap: number; span: number; pairs: boolean }
  | { kernel: 'sort_merge'; pairs: boolean };

type WgslScalar = 'f32' | 'i32' | 'u32';

/** Each kernel's template, storage bindings before its parameter block, own fields and template variables. */
function templateOf(o: IndexKernel): {
  template: string;
  bindings: number;
  fields: ParamSchema;
  vars: Record<string, string | number>;
} {
  const counts = { n: 'u32', size: 'u32', stride: 'u32' } as const;
  switch (o.kernel) {
    case 'gather':
      return { template: tensor_gather, bindings: 4, fields: counts, vars: { T: o.type } };
    case 'scatter': {
      const float = o.type === 'f32';
      return {
        template: tensor_scatter,
        bindings: 4,
        fields: counts,
        vars: {
          T: o.type,
          ATOMIC: float ? 'u32' : o.type,
          ADD: float ? 'atomic_add_f32(p, v);' : 'atomicAdd(&out[p], v);',
          ATOMIC_F32: float ? tensor_atomic_add_f32 : '',
        },
      };
    }
    case 'onehot':
      return { template: tensor_onehot, bindings: 3, fields: { n: 'u32', classes: 'u32' }, vars: {} };
    case 'sort':
      return {
        template: tensor_sort,
        bindings: 2,
        fields: { rows: 'u32', len: 'u32', blocks: 'u32' },
        vars: {
          T: wgslType(o.dtype),
          KEY: sortKey(o.dtype, o.descending),
          CAP: o.cap,
          S: o.span,
          OUT: o.pairs ? 'vec2<u32>' : 'i32',
          STORE: o.pairs ? 'out[e] = vec2<u32>(keys[t], ids[t]);' : 'out[idx_o(e)] = i32(ids[t]);',
        },
      };
    case 'sort_merge':
      return {
        template: tensor_sort_merge,
        bindings: 2,
        fields: { n: 'u32', len: 'u32', w: 'u32' },
        vars: {
          OUT: o.pairs ? 'vec2<u32>' : 'i32',
          STORE: o.pairs ? 'out[d] = v;' : 'out[idx_o(d)] = i32(v.y);',
        },
      };
  }
}

/** One of this group's kernels over strided views, once per options value. */
const indexKernel = specialize((o: IndexKernel & { views: ViewsSpec; wg: number }) => {
  const t = templateOf(o);
  const views = viewsCode(o.views);
  const params = paramBlock({ ...t.fields, ...views.fields });
  const code = fill(t.template, {
    ...t.vars,
    PARAMS: params.wgsl(t.bindings),
    INDEX: views.fns,
    FAULT: tensor_fault,
    WG: o.wg,
  });
  return { code, params };
});

/** An index vector along `axis` seen over `shape` (stride 0 on every other dim). */
const spread = (index: View<H>, shape: readonly number[], axis: number): View<H> => ({
  ...index,
  shape,
  strides: shape.map((_, d) => (d === axis ? index.strides[0] : 0)),
});

/** `t` with the `axis` coordinate dropped (stride 0): the base each index offsets from. */
const axisBase = (t: Addressing, axis: number): Addressing => ({
  strides: t.strides.map((s, d) => (d === axis ? 0 : s)),
  offset: t.offset,
});

function gather(g: Gpu, op: string, x: View<H>, index: View<H>, axis: number, dtype: DType): H {
  const out = g.alloc({ shape: index.shape, dtype });
  const n = numel(index.shape);
  const views = stridedViews(index.shape, [index, axisBase(x, axis)], ['ix', 'xb']);
  g.dispatch({
    kernel: indexKernel({ kernel: 'gather', type: wgslType(x.dtype), views: views.spec, wg: g.wg }),
    label: `tensor/gather:${op}`,
    buffers: [x.handle, index.handle, out, g.faultBuffer()],
    params: { n, size: x.shape[axis], stride: x.strides[axis], ...views.values },
    workgroups: Math.ceil(n / g.wg),
  });
  return out;
}

function scatterAdd(g: Gpu, op: string, x: View<H>, index: View<H>, src: View<H>, axis: number): H {
  const out = copy(g, x);
  const n = numel(index.shape);
  const strides = contiguousStrides(x.shape);
  const views = stridedViews(
    index.shape,
    [index, src, axisBase({ strides, offset: 0 }, axis)],
    ['ix', 'sv', 'db'],
  );
  g.dispatch({
    kernel: indexKernel({ kernel: 'scatter', type: wgslType(x.dtype), views: views.spec, wg: g.wg }),
    label: `tensor/scatter:${op}`,
    buffers: [src.handle, index.handle, out, g.faultBuffer()],
    params: { n, size: x.shape[axis], stride: strides[axis], ...views.values },
    workgroups: Math.ceil(n / g.wg),
  });
  return out;
}

function oneHot(g: Gpu, index: View<H>, classes: number, out: H): H {
  const n = numel(index.shape) * classes;
  const views = stridedViews(index.shape, [index], ['ix']);
  g.dispatch({
    kernel: indexKernel({ kernel: 'onehot', views: views.spec, wg: g.wg }),
    label: 'tensor/onehot:one_hot',
    buffers: [index.handle, out, g.faultBuffer()],
    params: { n, classes, ...views.values },
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
  const views = stridedViews(
    shape,
    [
      { strides: take(x.strides), offset: x.offset },
      { strides: take(contiguousStrides(outShape)), offset: 0 },
    ],
    ['a', 'o'],
  );
  // The last launch writes indices to the output; earlier ones write (key, position) pairs to scratch.
  const single = blocks === 1;
  let pairs = single ? buf : g.ctx.createBuffer(n * 8);
  g.dispatch({
    kernel: indexKernel({
      kernel: 'sort',
      dtype: x.dtype,
      descending,
      cap,
      span,
      pairs: !single,
      views: views.spec,
      wg,
    }),
    label: 'tensor/sort:argsort',
    buffers: [x.handle, pairs],
    params: { rows, len, blocks, ...views.values },
    workgroups: Math.ceil((rows * blocks) / (span / cap)),
  });
  // The merge passes address only the output.
  const merged = stridedViews(shape, [{ strides: take(contiguousStrides(outShape)), offset: 0 }], ['o']);
  for (let w = cap; w < len; w *= 2) {
    const last = w * 2 >= len;
    const next = last ? buf : g.ctx.createBuffer(n * 8);
    g.dispatch({
      kernel: indexKernel({ kernel: 'sort_merge', pairs: !last, views: merged.spec, wg: g.wg }),
      label: 'tensor/sort_merge:argsort',
      buffers: [pairs, next],
      params: { n, len, w, ...merged.values },
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
