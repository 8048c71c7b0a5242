import { installAutograd, installLeafFns } from '../autograd.js';
import { fmt } from '../errors.js';
import { onesLike, zerosLike } from '../ops/creation.js';
import { add, cast } from '../ops/elementwise.js';
import { clone } from '../ops/movement.js';
import type { OpName } from '../opset.js';
import { sameShape } from '../shape.js';
import { setContiguousCopy, type Tensor } from '../tensor.js';
import { attentionRules } from './attention.js';
import { creationRules, elementwiseRules } from './elementwise.js';
import { indexingRules, selectionRules } from './indexing.js';
import { matmulRules } from './matmul.js';
import { copyRules, movementRules, viewRules } from './movement.js';
import { reduceRules } from './reduce.js';
import type { GradCtx, RuleTable } from './types.js';

/** Forward and backward of every op, in one table the compiler checks for completeness. */
export const RULES: RuleTable = {
  ...creationRules,
  ...elementwiseRules,
  ...viewRules,
  ...copyRules,
  ...movementRules,
  ...reduceRules,
  ...matmulRules,
  ...indexingRules,
  ...selectionRules,
  ...attentionRules,
};

function gradOf(out: Tensor, g: Tensor): (Tensor | null)[] {
  const node = out.node!;
  const grad = node.grad ?? RULES[node.op as OpName].grad;
  if (typeof grad !== 'function') return [];
  const ctx = {
    inputs: node.inputs,
    out,
    params: node.params,
    needs: node.inputs.map((t) => t.requiresGrad),
  } as unknown as GradCtx<never>;
  const grads = (grad as (g: Tensor, c: GradCtx<never>) => (Tensor | null)[])(g, ctx);
  return grads.map((gi, i) => {
    const x = node.inputs[i];
    if (gi && !sameShape(gi.shape, x.shape)) {
      throw new Error(
        `internal: the backward rule of '${node.op}' gave input ${i} a gradient of shape ${fmt(gi.shape)}, expected ${fmt(x.shape)}`,
      );
    }
    // A gradient has its input's dtype (an f16 input's rounds to half), as in PyTorch.
    return gi && x.requiresGrad && gi.dtype !== x.dtype ? cast(gi, x.dtype) : gi;
  });
}

/** A new leaf viewing the same storage, for `grad()`. */
const detachedLeaf = (t: Tensor): Tensor => {
  t.assertAlive('grad');
  return t.detach().requireGrad();
};

installAutograd(gradOf, add, onesLike, clone);
installLeafFns(detachedLeaf, zerosLike);
setContiguousCopy(clone);
