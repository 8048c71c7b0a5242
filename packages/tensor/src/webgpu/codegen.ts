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

/** Bit pattern of an f32 (a u32), e.g. to compare floats as integers or to fill a positional word. */
export function f32Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

/**
 * WGSL that declares a parameter block of `words` positional 32-bit words, `m(i)` to read word i and
 * `mf(i)` to read it as f32. Kept only for the row kernels (`reduce.ts`) until they declare a
 * `paramBlock`. Word 0 is also `params.n`, the invocation count templates shared with declared
 * blocks read (`map.wgsl`); {@link legacyParamWords} lays the words out to match.
 */
export function paramsDecl(binding: number, words: number): string {
  return `struct Params { n: u32, w: array<vec4<u32>, ${legacyVec4s(words)}> };
@group(0) @binding(${binding}) var<uniform> params: Params;
fn m(i: u32) -> u32 { return params.w[i / 4u][i % 4u]; }
fn mf(i: u32) -> f32 { return bitcast<f32>(m(i)); }`;
}

/** The uniform contents of a {@link paramsDecl} block: word 0 as `n`, then (16 bytes on) the words. */
export function legacyParamWords(words: readonly number[]): Uint32Array {
  const out = new Uint32Array(4 + 4 * legacyVec4s(words.length));
  out[0] = words[0] ?? 0;
  out.set(words, 4);
  return out;
}

const legacyVec4s = (words: number) => Math.max(1, Math.ceil(words / 4));

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

/**
 * Addressing of strided views in a kernel with a positional-word parameter block ({@link paramsDecl}):
 * packs, after `header` words, the shape and each view's offset and strides, and generates
 * `fn idx_<name>(i: u32) -> u32`. Kept only for the row kernels (`reduce.ts`); other kernels use
 * {@link stridedViews} and {@link viewsCode}.
 */
export class StridedViews {
  readonly words: number[];
  readonly key: string;
  private readonly bases: number[] = [];
  private readonly contig: boolean[];

  constructor(
    readonly shape: readonly number[],
    readonly views: readonly Pick<View, 'strides' | 'offset' | 'shape'>[],
    header: number[],
  ) {
    this.words = [...header, ...shape];
    this.contig = views.map((v) => isContiguous(v.shape, v.strides));
    for (const v of views) {
      this.bases.push(this.words.length);
      this.words.push(v.offset, ...v.strides);
    }
    this.key = `r${shape.length}:${this.contig.map((c) => (c ? 'c' : 's')).join('')}:h${header.length}`;
  }

  /** WGSL functions `idx_<names[j]>`. */
  fns(names: string[]): string {
    const rank = this.shape.length;
    const shapeBase = this.words.length - this.views.length * (rank + 1) - rank;
    return names
      .map((name, j) => {
        const base = this.bases[j];
        return indexFn(
          name,
          rank,
          this.contig[j],
          `m(${base}u)`,
          (d) => `m(${shapeBase + d}u)`,
          (d) => `m(${base + 1 + d}u)`,
        );
      })
      .join('\n');
  }
}
