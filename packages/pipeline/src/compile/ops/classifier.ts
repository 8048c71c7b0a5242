import * as T from '@tessera/tensor';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/**
 * Probabilities (or scores) → the label of the largest per row (the first on a tie) and the
 * probability matrix; a single column p becomes [1 − p, p] when `binary` is 'complement'.
 */
export const classifier: CompileRule<'classifier'> = (op) =>
  compiled(([x]) => {
    const scores = x as T.Tensor;
    const probs =
      scores.shape[1] === 1 && op.binary === 'complement' ? T.concat([T.sub(1, scores), scores], 1) : scores;
    return [{ index: T.argmax(probs, 1, true), labels: op.labels }, probs];
  });
