import type { SplitRule, Tree } from '../ir/types.js';

/**
 * A tree of `n` nodes, all leaves (feature −1, no children, no missing-value branch, zero leaf
 * values over `outputs` columns) and every split rule `rule`: the parsers fill in their inner
 * nodes and leaf values.
 */
export function blankTree(n: number, outputs: number, rule: SplitRule): Tree {
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
