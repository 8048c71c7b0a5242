import type { DType } from '../dtype.js';
import { ALU, type AluOp } from './alu.js';
import { type Exp, walk } from './exp.js';

/** What a target language supplies to {@link renderExp}. */
export interface Lang {
  /** Source of a leaf node (input, const, param, index, acc). */
  leaf(e: Exp): string;
  /** Source of a cast of `a` (of dtype `from`) to `to`. */
  cast(from: DType, to: DType, a: string): string;
  /** A statement binding `name` to `value` (of `dtype`). */
  bind(name: string, dtype: DType, value: string): string;
  /** Which ALU column renders ops. */
  alu: 'js' | 'wgsl';
}

/**
 * Renders an expression as statements binding every inner node to a local (`<prefix><n>`), in
 * dependency order, so a shared node is computed once; returns them and the root's source.
 */
export function renderExp(root: Exp, lang: Lang, prefix: string): { lines: string[]; value: string } {
  const { lines, values } = renderExps([root], lang, prefix);
  return { lines, value: values[0] };
}

/** {@link renderExp} of several roots at once, computing the nodes they share once. */
export function renderExps(
  roots: readonly Exp[],
  lang: Lang,
  prefix: string,
): { lines: string[]; values: string[] } {
  const names = new Map<Exp, string>();
  const lines: string[] = [];
  walk(roots, (e) => {
    if (e.src.length === 0) {
      names.set(e, lang.leaf(e));
      return;
    }
    const args = e.src.map((s) => names.get(s) as string);
    let value: string;
    if (e.op === 'cast') value = lang.cast(e.src[0].dtype, e.dtype, args[0]);
    else {
      const rule = ALU[e.op as AluOp];
      value = rule[lang.alu](e.src[0].dtype, args[0], args[1], args[2]);
    }
    const name = `${prefix}${names.size}`;
    lines.push(lang.bind(name, e.dtype, value));
    names.set(e, name);
  });
  return { lines, values: roots.map((r) => names.get(r) as string) };
}
