import * as T from '@tessera/tensor';
import { postTransform } from '../post.js';
import { canonicalEnsemble } from '../trees/canonical.js';
import { gemmStrategy } from '../trees/gemm.js';
import { perfectStrategy } from '../trees/perfect.js';
import { chooseStrategy, type TreeStrategy } from '../trees/strategy.js';
import { traversalStrategy } from '../trees/traversal.js';
import { row } from './elementwise.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/**
 * A tree ensemble: each tree's leaf values by the chosen strategy, aggregated over the trees, plus
 * the base values, through the link.
 */
export const trees: CompileRule<'trees'> = (op, { backend, strategy }) => {
  const { trees: canonical, depth, uniformOp } = canonicalEnsemble(op);
  const name = chooseStrategy(strategy, depth);
  const s: TreeStrategy =
    name === 'gemm'
      ? gemmStrategy(canonical, op.outputs, uniformOp, backend)
      : name === 'perfect_tree_traversal'
        ? perfectStrategy(canonical, op.outputs, depth, uniformOp, backend)
        : traversalStrategy(canonical, op.outputs, depth, backend);
  const base = row(op.base, backend);
  const c = compiled(
    ([x]) => [postTransform(T.add(s.run(x as T.Tensor, op.aggregate), base), op.post)],
    [base],
    {
      strategy: s.name,
    },
  );
  return {
    ...c,
    dispose: () => {
      c.dispose();
      s.dispose();
    },
  };
};
