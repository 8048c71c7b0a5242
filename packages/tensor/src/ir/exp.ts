import { CANONICAL } from '@tessera/gpu';
import type { DType } from '../dtype.js';
import { ALU, type AluOp } from './alu.js';

/** What a leaf of an expression reads. */
export type LeafOp =
  /** Element of input `arg` at the current position (each backend addresses the input's strided view). */
  | 'input'
  /** A literal baked into the kernel's source (constants of op definitions: 0.5, √½). */
  | 'const'
  /** A value passed at run time in the kernel's parameters (user scalars: changing it recompiles nothing). */
  | 'param'
  /** The element's row-major position in the output (u32): counters of random numbers, iota. */
  | 'index'
  /** Result of reduction stage `arg` of a row kernel. */
  | 'acc';

/** ALU ops, leaves, and `cast` (to the node's dtype). */
export type ExpOp = AluOp | LeafOp | 'cast';

/**
 * A typed scalar expression, the one definition each backend renders (WGSL, JavaScript, …):
 * elementwise ops and the per-element parts of reductions are built from these. Nodes may be
 * shared (a DAG); renderers compute a shared node once.
 */
export class Exp {
  /** @internal Structural key, computed on first use. */
  private _key?: string;

  constructor(
    readonly op: ExpOp,
    readonly dtype: DType,
    readonly src: readonly Exp[] = [],
    /** input/param/acc slot, const value, cast: none. */
    readonly arg = 0,
  ) {}

  /** A string that is equal for structurally equal expressions (params by slot, not value). */
  get key(): string {
    if (this._key === undefined) {
      const ids = new Map<Exp, number>();
      const parts: string[] = [];
      walk(this, (e) => {
        const s = e.src.map((c) => ids.get(c)).join(',');
        parts.push(`${e.op}.${e.dtype}${e.op === 'const' || isSlot(e.op) ? `:${e.arg}` : ''}(${s})`);
        ids.set(e, ids.size);
      });
      this._key = parts.join(';');
    }
    return this._key;
  }

  /** Kernel specializations built from this expression are memoized by its structure ({@link key}). */
  [CANONICAL](): string {
    return this.key;
  }

  /** Distinct nodes (shared ones once). */
  get size(): number {
    let n = 0;
    walk(this, () => n++);
    return n;
  }
}

const isSlot = (op: ExpOp) => op === 'input' || op === 'param' || op === 'acc';

/** Visits every distinct node of `roots` once, sources before users. */
export function walk(roots: Exp | readonly Exp[], visit: (e: Exp) => void): void {
  const seen = new Set<Exp>();
  const go = (e: Exp) => {
    if (seen.has(e)) return;
    seen.add(e);
    for (const s of e.src) go(s);
    visit(e);
  };
  for (const r of Array.isArray(roots) ? roots : [roots]) go(r as Exp);
}

/** A pipeline-cache key of several expressions computed together. */
export const keyOf = (exps: readonly Exp[]): string => exps.map((e) => e.key).join('|&|');

/** Rebuilds `root` bottom-up, replacing each leaf by `leaf(e)` (or keeping it when that returns undefined). */
export function mapLeaves(root: Exp, leaf: (e: Exp) => Exp | undefined): Exp {
  const done = new Map<Exp, Exp>();
  const go = (e: Exp): Exp => {
    const hit = done.get(e);
    if (hit) return hit;
    let r: Exp;
    if (e.src.length === 0) r = leaf(e) ?? e;
    else {
      const src = e.src.map(go);
      r = src.every((s, i) => s === e.src[i]) ? e : new Exp(e.op, e.dtype, src, e.arg);
    }
    done.set(e, r);
    return r;
  };
  return go(root);
}

/** The dtype of each param slot of `exp` (or of several expressions sharing params). */
export function paramTypes(exp: Exp | readonly Exp[]): DType[] {
  const types: DType[] = [];
  walk(exp, (e) => {
    if (e.op === 'param') types[e.arg] = e.dtype;
  });
  return types;
}

/** The expression builders: each checks its operands' dtypes against the op's rule. */
export const ex = {
  input: (slot: number, dtype: DType) => new Exp('input', dtype, [], slot),
  const: (value: number, dtype: DType) => new Exp('const', dtype, [], value),
  param: (slot: number, dtype: DType) => new Exp('param', dtype, [], slot),
  index: () => new Exp('index', 'u32'),
  acc: (stage: number, dtype: DType) => new Exp('acc', dtype, [], stage),
  /** Applies ALU op `op` (its result dtype from its rule). */
  alu(op: AluOp, ...src: Exp[]): Exp {
    const rule = ALU[op];
    if (src.length !== rule.arity)
      throw new Error(`internal: ${op} takes ${rule.arity} operands, got ${src.length}`);
    return new Exp(op, rule.result(src.map((s) => s.dtype) as [DType, DType, DType]), src);
  },
  cast: (x: Exp, dtype: DType) => (x.dtype === dtype ? x : new Exp('cast', dtype, [x])),
};
