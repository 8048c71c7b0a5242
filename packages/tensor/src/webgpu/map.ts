import { paramBlock, specialize } from '@tessera/gpu';
import { tensor_map, tensor_math } from '@tessera/kernels';
import type { DType } from '../dtype.js';
import { coalesce } from '../ir/coalesce.js';
import { type Exp, ex } from '../ir/exp.js';
import { renderExps } from '../ir/render.js';
import { paramField, paramFields, paramValues, slotLang, wgslType } from '../ir/wgsl.js';
import type { OutSpec, View } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { fill, stridedViews, type ViewsSpec, viewsCode } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

/** Where a map kernel writes: a buffer and, when not the contiguous output, a strided view into it. */
export interface MapTarget {
  buffer: H;
  dtype: DType;
  /** Strided destination over the iteration shape; omitted for contiguous `out[i]`. */
  view?: Pick<View, 'strides' | 'offset'>;
}

/** What selects a map kernel's WGSL: plain data and expressions (by structure), never a param's value. */
interface MapOptions {
  exps: readonly Exp[];
  /** Dtype of each input slot. */
  inputs: readonly DType[];
  targets: readonly { dtype: DType; strided: boolean }[];
  /** Addressing of the inputs, then of the strided targets (`dst<i>`). */
  views: ViewsSpec;
  wg: number;
}

const mapKernel = specialize((o: MapOptions) => {
  const { fields, fns } = viewsCode(o.views);
  const params = paramBlock({ n: 'u32', ...paramFields(o.exps), ...fields });
  const { lines, values } = renderExps(
    o.exps,
    slotLang((k) => `params.${paramField(k)}`, 'i'),
    't',
  );
  const reads = o.inputs.map((_, j) => `let v${j} = in_${j}[idx_${j}(i)];`);
  const writes = o.targets.map((t, i) => `out_${i}[${t.strided ? `idx_dst${i}(i)` : 'i'}] = ${values[i]};`);
  const code = fill(tensor_map, {
    BINDINGS: [
      ...o.inputs.map(
        (d, j) => `@group(0) @binding(${j}) var<storage, read> in_${j}: array<${wgslType(d)}>;`,
      ),
      ...o.targets.map(
        (t, i) =>
          `@group(0) @binding(${o.inputs.length + i}) var<storage, read_write> out_${i}: array<${wgslType(t.dtype)}>;`,
      ),
    ].join('\n'),
    PARAMS: params.wgsl(o.inputs.length + o.targets.length),
    INDEX: fns,
    MATH: tensor_math,
    WG: o.wg,
    BODY: [...reads, ...lines, ...writes].join('\n  '),
  });
  return { code, params };
});

/**
 * Runs `exps` over `shape` on the GPU: one invocation per element, input slot j read from
 * `inputs[j]` through its strides, param slot k from the parameter block, expression i written to
 * `targets[i]`. Dims every operand steps through alike are merged first, so most kernels index
 * flat. The kernel is selected by the expressions' structure and the addressing, never a param's value.
 */
export function mapInto(
  g: Gpu,
  exps: readonly Exp[],
  shape: readonly number[],
  targets: readonly MapTarget[],
  inputs: View<H>[],
  params: number[],
): void {
  const n = numel(shape);
  if (n === 0) return;
  const dst = targets.map((t) => t.view?.strides ?? contiguousStrides(shape));
  const c = coalesce(shape, [...dst, ...inputs.map((v) => v.strides)]);
  const nt = targets.length;
  const strided = targets.flatMap((t, i) => (t.view ? [i] : []));
  const views = stridedViews(
    c.shape,
    [
      ...inputs.map((v, j) => ({ strides: c.strides[nt + j], offset: v.offset })),
      ...strided.map((i) => ({ strides: c.strides[i], offset: targets[i].view!.offset })),
    ],
    [...inputs.map((_, j) => `${j}`), ...strided.map((i) => `dst${i}`)],
  );
  g.dispatch({
    kernel: mapKernel({
      exps,
      inputs: inputs.map((v) => v.dtype),
      targets: targets.map((t) => ({ dtype: t.dtype, strided: t.view !== undefined })),
      views: views.spec,
      wg: g.wg,
    }),
    label: 'tensor/map',
    buffers: [...inputs.map((v) => v.handle), ...targets.map((t) => t.buffer)],
    params: { n, ...paramValues(exps, params), ...views.values },
    workgroups: Math.ceil(n / g.wg),
  });
}

/** {@link mapInto} new contiguous output buffers, which it returns. */
export function map(
  g: Gpu,
  exps: readonly Exp[],
  shape: readonly number[],
  inputs: View<H>[],
  params: number[],
): H[] {
  const targets = exps.map((e) => ({ buffer: g.alloc({ shape, dtype: e.dtype }), dtype: e.dtype }));
  mapInto(g, exps, shape, targets, inputs, params);
  return targets.map((t) => t.buffer);
}

/** Copies `x` into `target` (elements of `x` in row-major order to the target's view). */
export const copyInto = (g: Gpu, x: View<H>, target: MapTarget): void =>
  mapInto(g, [ex.input(0, x.dtype)], x.shape, [target], [x], []);

/** A new contiguous copy of `x`. */
export const copy = (g: Gpu, x: View<H>): H => map(g, [ex.input(0, x.dtype)], x.shape, [x], [])[0];

/** A new buffer of `out` filled with `value`. */
export const filled = (g: Gpu, out: OutSpec, value: number): H =>
  map(g, [ex.param(0, out.dtype)], out.shape, [], [value])[0];
