import { tensor_map, tensor_math } from '@tessera/kernels';
import type { DType } from '../dtype.js';
import { coalesce } from '../ir/coalesce.js';
import { type Exp, ex, walk } from '../ir/exp.js';
import { renderExp } from '../ir/render.js';
import { paramWord, wgslLang, wgslType, wgslWord } from '../ir/wgsl.js';
import type { OutSpec, View } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { fill, StridedViews } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

/** Where a map kernel writes: a buffer and, when not the contiguous output, a strided view into it. */
export interface MapTarget {
  buffer: H;
  dtype: DType;
  /** Strided destination over the iteration shape; omitted for contiguous `out[i]`. */
  view?: Pick<View, 'strides' | 'offset'>;
}

/** The dtype of each param slot of `exp`. */
function paramTypes(exp: Exp): DType[] {
  const types: DType[] = [];
  walk(exp, (e) => {
    if (e.op === 'param') types[e.arg] = e.dtype;
  });
  return types;
}

/**
 * Runs `exp` over `shape` on the GPU: one invocation per element, input slot j read from
 * `inputs[j]` through its strides, param slot k from the parameter block, the result written to
 * `target`. Dims every operand steps through alike are merged first, so most kernels index flat.
 * The pipeline key is the expression's structure and the addressing, never a param's value.
 */
export function mapInto(
  g: Gpu,
  exp: Exp,
  shape: readonly number[],
  target: MapTarget,
  inputs: View<H>[],
  params: number[],
): void {
  const n = numel(shape);
  if (n === 0) return;
  const dst = target.view?.strides ?? contiguousStrides(shape);
  const c = coalesce(shape, [dst, ...inputs.map((v) => v.strides)]);
  const views = [
    ...inputs.map((v, j) => ({ shape: c.shape, strides: c.strides[j + 1], offset: v.offset })),
    ...(target.view ? [{ shape: c.shape, strides: c.strides[0], offset: target.view.offset }] : []),
  ];
  const types = paramTypes(exp);
  const words = [n, ...params.map((v, k) => paramWord(v, types[k]))];
  const sv = new StridedViews(c.shape, views, words);
  const names = inputs.map((_, j) => `${j}`);
  const outT = wgslType(target.dtype);
  const { lines, value } = renderExp(
    exp,
    wgslLang((e) =>
      e.op === 'input' ? `v${e.arg}` : e.op === 'param' ? wgslWord(`m(${1 + e.arg}u)`, e.dtype) : 'i',
    ),
    't',
  );
  const reads = names.map((j) => `let v${j} = in_${j}[idx_${j}(i)];`);
  const at = target.view ? 'idx_dst(i)' : 'i';
  const source = () =>
    fill(tensor_map, {
      BINDINGS: [
        ...inputs.map(
          (v, j) => `@group(0) @binding(${j}) var<storage, read> in_${j}: array<${wgslType(v.dtype)}>;`,
        ),
        `@group(0) @binding(${inputs.length}) var<storage, read_write> out: array<${outT}>;`,
      ].join('\n'),
      PARAMS: g.params(inputs.length + 1, sv.words),
      INDEX: sv.fns(target.view ? [...names, 'dst'] : names),
      MATH: tensor_math,
      WG: g.wg,
      BODY: [...reads, ...lines, `out[${at}] = ${value};`].join('\n  '),
    });
  const key = `map:${exp.key}|${inputs.map((v) => v.dtype).join(',')}>${target.dtype}|${target.view ? 'v' : 'c'}|${sv.key}`;
  g.launch({
    key,
    label: 'tensor/map',
    source,
    buffers: [...inputs.map((v) => v.handle), target.buffer],
    words: sv.words,
    workgroups: Math.ceil(n / g.wg),
  });
}

/** {@link mapInto} a new contiguous output buffer, which it returns. */
export function map(g: Gpu, exp: Exp, out: OutSpec, inputs: View<H>[], params: number[]): H {
  const buffer = g.alloc(out);
  mapInto(g, exp, out.shape, { buffer, dtype: out.dtype }, inputs, params);
  return buffer;
}

/** Copies `x` into `target` (elements of `x` in row-major order to the target's view). */
export const copyInto = (g: Gpu, x: View<H>, target: MapTarget): void =>
  mapInto(g, ex.input(0, x.dtype), x.shape, target, [x], []);

/** A new contiguous copy of `x`. */
export const copy = (g: Gpu, x: View<H>): H => map(g, ex.input(0, x.dtype), x, [x], []);

/** A new buffer of `out` filled with `value`. */
export const filled = (g: Gpu, out: OutSpec, value: number): H =>
  map(g, ex.param(0, out.dtype), out, [], [value]);
