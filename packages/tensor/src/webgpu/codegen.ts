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

/** Bit pattern of an f32, for passing floats through the u32 parameter block. */
export function f32Bits(x: number): number {
  const f = new Float32Array([x]);
  return new Uint32Array(f.buffer)[0];
}

/** WGSL that declares the uniform parameter block of `words` 32-bit words and `m(i)` to read word i. */
export function paramsDecl(binding: number, words: number): string {
  const vec4s = Math.max(1, Math.ceil(words / 4));
  return `struct Params { w: array<vec4<u32>, ${vec4s}> };
@group(0) @binding(${binding}) var<uniform> params: Params;
fn m(i: u32) -> u32 { return params.w[i / 4u][i % 4u]; }
fn mf(i: u32) -> f32 { return bitcast<f32>(m(i)); }`;
}

/**
 * Addressing of strided views in a kernel. Packs, after `header` words, each view's offset and
 * strides, and generates `fn idx_<name>(i: u32) -> u32` mapping a row-major element index of
 * `shape` to the view's element offset. Contiguous views get the direct form (no division), and
 * which views are contiguous is part of the pipeline key.
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
        if (this.contig[j]) return `fn idx_${name}(i: u32) -> u32 { return m(${base}u) + i; }`;
        const lines = [];
        for (let d = rank - 1; d >= 0; d--) {
          lines.push(`  { let s = m(${shapeBase + d}u); o += (r % s) * m(${base + 1 + d}u); r = r / s; }`);
        }
        return `fn idx_${name}(i: u32) -> u32 {\n  var r = i;\n  var o = m(${base}u);\n${lines.join('\n')}\n  return o;\n}`;
      })
      .join('\n');
  }
}
