import { renderExp } from '../ir/render.js';
import { paramWords, slotLang, wgslType } from '../ir/wgsl.js';
import type { FusedInput, View } from '../opset.js';

type H = GPUBuffer;

/** How a kernel reads an input that may be fused: what to bind, address and declare. */
export interface InputRead {
  /** One window per buffer read, over the kernel's iteration shape (for `StridedViews`). */
  readonly windows: { strides: number[]; offset: number }[];
  /** The `StridedViews` names of those windows (`idx_<name>`). */
  readonly names: string[];
  /** Storage bindings `0 … n−1`, one per buffer. */
  readonly bindings: string[];
  readonly buffers: H[];
  /** Parameter words of the expression, to append to the kernel's header at `paramBase`. */
  readonly words: number[];
  /** `fn load_<name>(k: u32) -> <type>`: the input's element at iteration index k. */
  readonly fn: string;
  /** What the pipeline key needs beyond the addressing: the expression and buffer types. */
  readonly key: string;
}

/**
 * Reads `x` (a view, or a fused input computed element by element) as `load_<name>(k)`, each
 * buffer addressed through `strides(view)` (e.g. the reduced axes moved last). Param slot k of a
 * fused expression is header word `paramBase + k`.
 */
export function inputRead(
  x: View<H> | FusedInput<H>,
  name: string,
  strides: (s: readonly number[]) => number[],
  paramBase: number,
): InputRead {
  const sources: readonly View<H>[] = 'exp' in x ? x.sources : [x];
  const names = sources.map((_, j) => `${name}${j}`);
  const T = wgslType(x.dtype);
  const base = {
    windows: sources.map((s) => ({ strides: strides(s.strides), offset: s.offset })),
    names,
    bindings: sources.map(
      (s, j) => `@group(0) @binding(${j}) var<storage, read> in_${names[j]}: array<${wgslType(s.dtype)}>;`,
    ),
    buffers: sources.map((s) => s.handle),
  };
  const loads = sources.map((_, j) => `let v${j} = in_${names[j]}[idx_${names[j]}(k)];`);
  if (!('exp' in x)) {
    return { ...base, words: [], fn: `fn load_${name}(k: u32) -> ${T} { ${loads[0]} return v0; }`, key: '' };
  }
  const { lines, value } = renderExp(
    x.exp,
    // Reductions read in their own order: a fused input has no element index.
    slotLang(paramBase),
    't',
  );
  return {
    ...base,
    words: paramWords(x.exp, x.params),
    fn: `fn load_${name}(k: u32) -> ${T} {\n  ${[...loads, ...lines, `return ${value};`].join('\n  ')}\n}`,
    key: `${x.exp.key}|${sources.map((s) => s.dtype).join(',')}`,
  };
}
