import { tensor_atomic_add_f32, tensor_fault, tensor_map, tensor_math } from '@tessera/kernels';
import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn, View } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { fill, StridedViews, wgslType } from './codegen.js';
import { map } from './elementwise.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;
type Addressing = Pick<View, 'shape' | 'strides' | 'offset'>;

interface IndexLaunch {
  label: string;
  /** Iteration shape: one invocation per element. */
  shape: readonly number[];
  /** Buffers bound as `in_<name>` (read-only, of the given WGSL element type). */
  inputs: { name: string; buffer: H; type: string }[];
  /** Views addressed by `idx_<name>(i)` over `shape`. */
  views: { name: string; view: Addressing }[];
  out: H;
  /** `array<…>` element type of `out` (`atomic<u32>` for scatter-adds). */
  outType: string;
  body: string;
  extra: number[];
  /** Whether the kernel validates indices (binds the fault block). */
  checked: boolean;
}

/** Launches an index kernel: the map template with the fault block bound and the index helpers included. */
function launchIndexed(g: Gpu, l: IndexLaunch): void {
  const n = numel(l.shape);
  const sv = new StridedViews(
    l.shape,
    l.views.map((v) => v.view),
    [n, ...l.extra],
  );
  const k = l.inputs.length;
  g.launch({
    key: `index:${l.label}:${l.inputs.map((i) => i.type).join(',')}>${l.outType}:${sv.key}`,
    label: `tensor/index:${l.label}`,
    source: () =>
      fill(tensor_map, {
        BINDINGS: [
          ...l.inputs.map(
            (inp, j) => `@group(0) @binding(${j}) var<storage, read> in_${inp.name}: array<${inp.type}>;`,
          ),
          `@group(0) @binding(${k}) var<storage, read_write> out: array<${l.outType}>;`,
          ...(l.checked
            ? [`@group(0) @binding(${k + 1}) var<storage, read_write> fault: array<atomic<u32>, 4>;`]
            : []),
        ].join('\n'),
        PARAMS: g.params(k + (l.checked ? 2 : 1), sv.words),
        INDEX: sv.fns(l.views.map((v) => v.name)),
        MATH: [
          tensor_math,
          l.checked ? tensor_fault : '',
          l.outType === 'atomic<u32>' ? tensor_atomic_add_f32 : '',
        ].join('\n'),
        WG: g.wg,
        BODY: l.body,
      }),
    buffers: [...l.inputs.map((i) => i.buffer), l.out, ...(l.checked ? [g.faultBuffer()] : [])],
    words: sv.words,
    workgroups: Math.ceil(n / g.wg),
  });
}

/** An index vector along `axis` seen over `shape` (stride 0 on every other dim). */
const spread = (index: View<H>, shape: readonly number[], axis: number): View<H> => ({
  ...index,
  shape,
  strides: shape.map((_, d) => (d === axis ? index.strides[0] : 0)),
});

const CHECK = `let t = in_ix[idx_ix(i)];
  if (t < 0 || u32(t) >= m(1u)) { report(t, m(1u)); return; }`;

function gather(g: Gpu, label: string, x: View<H>, index: View<H>, axis: number, dtype: View['dtype']): H {
  const out = g.alloc({ shape: index.shape, dtype });
  const T = wgslType(x.dtype);
  launchIndexed(g, {
    label,
    shape: index.shape,
    inputs: [
      { name: 'x', buffer: x.handle, type: T },
      { name: 'ix', buffer: index.handle, type: 'i32' },
    ],
    views: [
      { name: 'ix', view: index },
      {
        name: 'xb',
        view: {
          shape: index.shape,
          strides: x.strides.map((s, d) => (d === axis ? 0 : s)),
          offset: x.offset,
        },
      },
    ],
    out,
    outType: T,
    body: `${CHECK}\n  out[i] = in_x[idx_xb(i) + u32(t) * m(2u)];`,
    extra: [x.shape[axis], x.strides[axis]],
    checked: true,
  });
  return out;
}

function scatterAdd(g: Gpu, label: string, x: View<H>, index: View<H>, src: View<H>, axis: number): H {
  const out = map(g, 'copy', { shape: x.shape, dtype: x.dtype }, [x], ['a'], 'a');
  const strides = contiguousStrides(x.shape);
  const T = wgslType(x.dtype);
  const add = T === 'f32' ? 'atomic_add_f32(p, v);' : `atomicAdd(&out[p], v);`;
  launchIndexed(g, {
    label,
    shape: index.shape,
    inputs: [
      { name: 'src', buffer: src.handle, type: T },
      { name: 'ix', buffer: index.handle, type: 'i32' },
    ],
    views: [
      { name: 'ix', view: index },
      { name: 'sv', view: { shape: index.shape, strides: src.strides, offset: src.offset } },
      {
        name: 'db',
        view: { shape: index.shape, strides: strides.map((s, d) => (d === axis ? 0 : s)), offset: 0 },
      },
    ],
    out,
    outType: T === 'f32' ? 'atomic<u32>' : `atomic<${T}>`,
    body: `${CHECK}\n  let v = in_src[idx_sv(i)];\n  let p = idx_db(i) + u32(t) * m(2u);\n  ${add}`,
    extra: [x.shape[axis], strides[axis]],
    checked: true,
  });
  return out;
}

export function indexingGpu(g: Gpu): { [K in IndexingGroup]: KernelFn<H, K> } {
  return {
    gather: (out, [x, index], { axis }) => gather(g, 'gather', x, index, axis, out.dtype),
    index_select: (out, [x, index], { axis }) =>
      gather(g, 'index_select', x, spread(index, out.shape, axis), axis, out.dtype),
    scatter_add: (_out, [x, index, src], { axis }) => scatterAdd(g, 'scatter_add', x, index, src, axis),
    index_add: (_out, [x, index, src], { axis }) =>
      scatterAdd(g, 'index_add', x, spread(index, src.shape, axis), src, axis),
    one_hot: (out, [index], { classes }) => {
      const buf = g.alloc(out);
      launchIndexed(g, {
        label: 'one_hot',
        shape: out.shape,
        inputs: [{ name: 'ix', buffer: index.handle, type: 'i32' }],
        views: [
          { name: 'ix', view: { shape: out.shape, strides: [...index.strides, 0], offset: index.offset } },
        ],
        out: buf,
        outType: 'i32',
        body: `${CHECK}\n  out[i] = select(0, 1, u32(t) == i % m(1u));`,
        extra: [classes],
        checked: true,
      });
      return buf;
    },
    argsort: (out, [x], { axis, descending }) => {
      const buf = g.alloc(out);
      const order = [...x.shape.keys()].filter((d) => d !== axis).concat(axis);
      const shape = order.map((d) => x.shape[d]);
      const outStrides = contiguousStrides(out.shape);
      const before = descending ? 'w > v' : 'w < v';
      launchIndexed(g, {
        label: `argsort${descending ? '_desc' : ''}`,
        shape,
        inputs: [{ name: 'x', buffer: x.handle, type: wgslType(x.dtype) }],
        views: [
          { name: 'a', view: { shape, strides: order.map((d) => x.strides[d]), offset: x.offset } },
          { name: 'o', view: { shape, strides: order.map((d) => outStrides[d]), offset: 0 } },
        ],
        out: buf,
        outType: 'i32',
        // Rank by counting: an element's place is the number of elements that sort before it
        // (ties broken by position, so the sort is stable). O(len²) per row, fully parallel:
        // fine for the short rows of routing and top-k; a bitonic sort would serve long rows better.
        body: `let len = m(1u);
  let row = i / len;
  let j = i % len;
  let v = in_x[idx_a(i)];
  var rank = 0u;
  for (var k = 0u; k < len; k = k + 1u) {
    let w = in_x[idx_a(row * len + k)];
    if (${before} || (w == v && k < j)) { rank = rank + 1u; }
  }
  out[idx_o(row * len + rank)] = i32(j);`,
        extra: [x.shape[axis]],
        checked: false,
      });
      return buf;
    },
  };
}
