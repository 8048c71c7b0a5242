import type { ParamScalar } from '@tessera/gpu';
import type { DType } from '../dtype.js';
import type { Exp } from '../ir/exp.js';
import { renderExp } from '../ir/render.js';
import { paramField, paramFields, paramValues, slotLang, wgslType } from '../ir/wgsl.js';
import type { FusedInput, View } from '../opset.js';

type H = GPUBuffer;

/** What selects how a kernel reads an input: plain data and the fused expression (by structure). */
export interface InputSpec {
  /** The input's name: `load_<name>`, views `<name><j>`, param fields `<name>_p<k>`. */
  name: string;
  dtype: DType;
  /** Dtype of each buffer read. */
  sources: readonly DType[];
  /** The fused expression, or undefined for a plain view. */
  exp?: Exp;
}

/** The build side of an input read: bindings, `load_<name>` and the param fields it reads. */
export interface InputCode {
  /** Storage bindings `0 … n−1`, one per buffer. */
  readonly bindings: string[];
  /** `fn load_<name>(k: u32) -> <type>`: the input's element at iteration index k. */
  readonly fn: string;
  /** Parameter fields of a fused expression's params (none for a view). */
  readonly fields: Record<string, ParamScalar>;
}

/** The dispatch side of an input read: what to bind and address, and the param values. */
export interface InputBinding {
  /** One window per buffer read, over the kernel's iteration shape (for `stridedViews`). */
  readonly windows: { strides: number[]; offset: number }[];
  /** The view names of those windows (`idx_<name>`). */
  readonly names: string[];
  readonly buffers: H[];
  /** Values of {@link InputCode.fields}. */
  readonly values: Record<string, number>;
}

const sourcesOf = (x: View<H> | FusedInput<H>): readonly View<H>[] => ('exp' in x ? x.sources : [x]);
const viewNames = (name: string, n: number) => Array.from({ length: n }, (_, j) => `${name}${j}`);

/** The {@link InputSpec} of reading `x` as `name`. */
export const inputSpec = (x: View<H> | FusedInput<H>, name: string): InputSpec => ({
  name,
  dtype: x.dtype,
  sources: sourcesOf(x).map((s) => s.dtype),
  exp: 'exp' in x ? x.exp : undefined,
});

/**
 * WGSL reading input `spec.name` as `load_<name>(k)`: each buffer through its view `idx_<name><j>`,
 * a fused expression's param slot k through `param(k, dtype)` (by default the declared field
 * `params.<name>_p<k>`).
 */
export function inputCode(
  spec: InputSpec,
  param: (slot: number, dtype: DType) => string = (k) => `params.${paramField(k, `${spec.name}_`)}`,
): InputCode {
  const names = viewNames(spec.name, spec.sources.length);
  const bindings = spec.sources.map(
    (d, j) => `@group(0) @binding(${j}) var<storage, read> in_${names[j]}: array<${wgslType(d)}>;`,
  );
  const loads = names.map((n, j) => `let v${j} = in_${n}[idx_${n}(k)];`);
  const T = wgslType(spec.dtype);
  if (!spec.exp)
    return { bindings, fn: `fn load_${spec.name}(k: u32) -> ${T} { ${loads[0]} return v0; }`, fields: {} };
  // Reductions read in their own order: a fused input has no element index.
  const { lines, value } = renderExp(spec.exp, slotLang(param), 't');
  const fields = paramFields(spec.exp, `${spec.name}_`);
  return {
    bindings,
    fn: `fn load_${spec.name}(k: u32) -> ${T} {\n  ${[...loads, ...lines, `return ${value};`].join('\n  ')}\n}`,
    fields,
  };
}

/** The {@link InputBinding} of reading `x` as `name`, each buffer addressed through `strides(view)`. */
export function inputBinding(
  x: View<H> | FusedInput<H>,
  name: string,
  strides: (s: readonly number[]) => number[],
): InputBinding {
  const sources = sourcesOf(x);
  const values = 'exp' in x ? paramValues(x.exp, x.params, `${name}_`) : {};
  return {
    windows: sources.map((s) => ({ strides: strides(s.strides), offset: s.offset })),
    names: viewNames(name, sources.length),
    buffers: sources.map((s) => s.handle),
    values,
  };
}
