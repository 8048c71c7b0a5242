import { PipelineError } from '../errors.js';
import type { SplitRule, Tree } from '../ir/types.js';

/** Leaf values one tree may hold (nodes × outputs): 2^27 float64s, 1 GiB. */
const MAX_LEAF_VALUES = 2 ** 27;

/**
 * A tree of `n` nodes, all leaves (feature −1, no children, no missing-value branch, zero leaf
 * values over `outputs` columns) and every split rule `rule`: the parsers fill in their inner
 * nodes and leaf values.
 */
export function blankTree(n: number, outputs: number, rule: SplitRule): Tree {
  if (n * outputs > MAX_LEAF_VALUES)
    throw new PipelineError(
      `a tree of ${n} nodes × ${outputs} outputs holds more than ${MAX_LEAF_VALUES} leaf values`,
    );
  return {
    feature: new Int32Array(n).fill(-1),
    threshold: new Float64Array(n),
    rule: new Array<SplitRule>(n).fill(rule),
    trueChild: new Int32Array(n).fill(-1),
    falseChild: new Int32Array(n).fill(-1),
    missingTrue: new Uint8Array(n),
    leafValues: new Float64Array(n * outputs),
  };
}
