import type { ParamField, ParamSchema } from '@tessera/gpu';
import type { DType } from '../dtype.js';
import type { View } from '../opset.js';
import { isContiguous } from '../shape.js';

/** The WGSL element type that stores a dtype. `u8` is widened to one `u32` per element on the GPU. */
export const wgslType = (d: DType): 'f32' | 'i32' | 'u32' =>
  d === 'f32' ? 'f32' : d === 'i32' ? 'i32' : 'u32';

/** Fills `{{NAME}}` placeholders of a WGSL template; a placeholder left unfilled is an error. */
export function fill(template: string, vars: Record<string, string | number>): string {
  const out = template.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`WGSL template: no value for {{${k}}}`);
    return String(vars[k]);
  });
  return out;
}

/** Bit pattern of an f32 (a u32), e.g. to compare floats as integers in WGSL. */
export function f32Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

/**
 * `fn idx_<name>(i: u32) -> u32`: the element offset of a view at row-major index `i` of an iteration
 * shape of `rank` dims, reading its offset, the shape and its strides through the given WGSL
 * expressions. A contiguous view gets the direct form (no division).
 */
function indexFn(
  name: string,
  rank: number,
  contiguous: boolean,
  offset: string,
  shape: (d: number) => string,
  stride: (d: number) => string,
): string {
  if (contiguous) return `fn idx_${name}(i: u32) -> u32 { return ${offset} + i; }`;
  const lines = [];
  for (let d = rank - 1; d >= 0; d--) {
    lines.push(`  { let s = ${shape(d)}; o += (r % s) * ${stride(d)}; r = r / s; }`);
  }
  return `fn idx_${name}(i: u32) -> u32 {\n  var r = i;\n  var o = ${offset};\n${lines.join('\n')}\n  return o;\n}`;
}

/** What a kernel's addressing of strided views depends on: plain data, part of its specialization options. */
export interface ViewsSpec {
  /** Rank of the iteration shape. */
  rank: number;
  /** Each view's name (its function is `idx_<name>`) and whether it is contiguous. */
  views: readonly { name: string; contiguous: boolean }[];
}

/** A view as addressed over an iteration shape: its element offset and a stride per dim. */
type Window = Pick<View, 'strides' | 'offset'>;

/**
 * The addressing of `views` (named `names`) over `shape`, for kernels with a declared parameter
 * block: `spec` selects the kernel (see {@link viewsCode}), `values` fill the fields it declares.
 */
export function stridedViews(
  shape: readonly number[],
  views: readonly Window[],
  names: readonly string[],
): { spec: ViewsSpec; values: Record<string, number | readonly number[]> } {
  const values: Record<string, number | readonly number[]> = { idx_shape: shape };
  const specs = views.map((v, j) => {
    const contiguous = isContiguous(shape, v.strides);
    values[`idx_off_${names[j]}`] = v.offset;
    if (!contiguous) values[`idx_st_${names[j]}`] = v.strides;
    return { name: names[j], contiguous };
  });
  return { spec: { rank: shape.length, views: specs }, values };
}

/**
 * The parameter fields and WGSL of a {@link ViewsSpec}: `idx_shape` (the iteration shape), and per
 * view `idx_off_<name>` (its offset) and, unless contiguous, `idx_st_<name>` (its strides); and
 * `fn idx_<name>(i: u32) -> u32` mapping a row-major index of the shape to the view's element offset.
 */
export function viewsCode(spec: ViewsSpec): { fields: ParamSchema; fns: string } {
  const fields: Record<string, ParamField> = { idx_shape: ['u32', spec.rank] };
  const fns = spec.views.map(({ name, contiguous }) => {
    fields[`idx_off_${name}`] = 'u32';
    if (!contiguous) fields[`idx_st_${name}`] = ['u32', spec.rank];
    return indexFn(
      name,
      spec.rank,
      contiguous,
      `params.idx_off_${name}`,
      (d) => `params_idx_shape(${d}u)`,
      (d) => `params_idx_st_${name}(${d}u)`,
    );
  });
  return { fields, fns: fns.join('\n') };
}
