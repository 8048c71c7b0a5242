import type { Backend } from '../backend.js';
import { storageOf, wrapScalar } from '../dtype.js';
import { type Exp, ex, walk } from '../ir/exp.js';
import type { FusedInput, OutSpec } from '../opset.js';
import type { ParamFn } from '../rules/types.js';
import { Storage, sourceViews } from '../storage.js';
import type { Tensor } from '../tensor.js';
import { KernelInputs, sourceKey } from './kernel-inputs.js';
import { composer, type Window } from './views.js';

/**
 * The most expression nodes one fused kernel inlines from its inputs. Past it, an input is
 * computed on its own: long chains still fuse in blocks, and a shader stays small enough to
 * compile fast.
 */
const MAX_INLINED_NODES = 64;

/**
 * How many nodes a recipe may be inlined for, over all the kernels that inline it: a small one
 * (a scaled gradient, a mask) is recomputed by each reader rather than stored and read back; a
 * large one is inlined once and computed on its own for every other reader.
 */
const MAX_RECOMPUTED_NODES = 24;

let enabled = true;

/**
 * Turns fusion of elementwise ops on or off (on by default) and returns the previous setting.
 * Off, every elementwise op runs its own kernel at once, as a reference to compare fused results
 * with and to time kernels one by one.
 */
export function setFusion(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/** @internal Whether fusion is on (see {@link setFusion}). */
export const fusionEnabled = (): boolean => enabled;

const usesIndex = (e: Exp): boolean => {
  let found = false;
  walk(e, (n) => {
    found ||= n.op === 'index';
  });
  return found;
};

/**
 * The storage of an elementwise op's output: pending, its recipe `build` applied to its inputs,
 * where each input that is itself pending contributes its own recipe instead of a read, re-indexed
 * through the input's view. An input that cannot be inlined (fusion off, inlined elsewhere already
 * and too large to recompute, a view no window expresses, or the kernel's input or size limit) is
 * computed first and read.
 */
export function fusedStorage(
  backend: Backend,
  build: (x: readonly Exp[], param: ParamFn) => Exp,
  inputs: readonly Tensor[],
  out: OutSpec,
): Storage {
  const k = new KernelInputs();
  let inlinedNodes = 0;
  const leaves = inputs.map((t, j): Exp => {
    const storage = t.storage;
    const read = (): Exp => {
      // A deferred kernel output stays deferred: the kernel may take this op as its epilogue.
      if (!enabled || !storage.call) storage.realize();
      return ex.input(k.slot({ storage, strides: t.strides, offset: t.offset, dtype: t.dtype }), t.dtype);
    };
    const r = storage.pending;
    if (
      !r ||
      !enabled ||
      (storage.inlined > 0 && (storage.inlined + 1) * r.exp.size > MAX_RECOMPUTED_NODES)
    ) {
      return read();
    }
    const c = composer(r.out.shape, t.shape, t);
    if (!c || (!c.ordered && usesIndex(r.exp))) return read();
    const windows = r.sources.map((s) => c.compose(s));
    if (windows.some((w) => !w)) return read();
    const reads = r.sources.map((s, k) => ({ ...s, ...(windows[k] as Window) }));
    const fresh = new Set(reads.filter((s) => !k.has(s)).map(sourceKey)).size;
    const size = r.exp.size;
    const later = inputs.length - j - 1; // each later input may need a slot of its own
    if (k.sources.length + fresh + later > backend.maxMapInputs || inlinedNodes + size > MAX_INLINED_NODES) {
      return read();
    }
    storage.inlined++;
    inlinedNodes += size;
    return k.adopt(r.exp, reads, r.params);
  });
  const exp = build(leaves, (v, d) => k.param(wrapScalar(v, d), d));
  const storage = Storage.fromRecipe(backend, { exp, out, sources: k.sources, params: k.params });
  if (!enabled) storage.realize();
  return storage;
}

/**
 * `t` as a fused input of a reduction or row kernel, when it is pending and its recipe inlines
 * (under the same limits as {@link fusedStorage}): the kernel computes each element where it reads
 * it, and `t` is not computed. Call `done` after launching the kernel.
 */
export function prologueOf(backend: Backend, t: Tensor): { input: FusedInput; done(): void } | undefined {
  const r = t.storage.pending;
  // Reductions read in their own order, not the element's position.
  if (!enabled || !r || usesIndex(r.exp)) return undefined;
  // Kernels compute in the storage dtype (f16 values as f32, bools as u8).
  const dtype = storageOf(t.dtype);
  const s = fusedStorage(backend, (x) => ex.cast(x[0], dtype), [t], { shape: t.shape, dtype });
  s.retain();
  const fused = s.pending;
  if (!fused || fused.exp.op === 'input') {
    s.release();
    return undefined;
  }
  const input: FusedInput = {
    shape: t.shape,
    dtype,
    exp: fused.exp,
    sources: sourceViews(fused.sources, t.shape),
    params: fused.params,
  };
  return { input, done: () => s.release() };
}
