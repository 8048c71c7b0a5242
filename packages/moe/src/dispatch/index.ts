import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';
import { MoEError } from '../errors.js';
import type { ExpertBank } from '../experts.js';
import { groupedDispatch } from './grouped.js';
import { naiveDispatch } from './naive.js';
import { runInSlots, runningCount } from './slots.js';

/** How tokens reach their experts; every kind gives the same result for the same kept choices. */
export type DispatchKind = 'naive' | 'capacity' | 'dropless';

/** Options of {@link dispatch}. */
export interface DispatchOptions {
  /** Default 'dropless'. */
  kind?: DispatchKind;
  /**
   * 'capacity': slots per expert = ceil(capacityFactor · tokens · k / E) (fairseq's rule, with k
   * choices per token). Default 1. Ignored when `capacity` is given.
   */
  capacityFactor?: number;
  /** 'capacity': slots per expert, overriding `capacityFactor`. */
  capacity?: number;
}

/** Which choices are kept, bool [tokens, k]. */
const kept = (a: Assignment): T.Tensor =>
  a.dropped
    ? T.logicalNot(a.dropped)
    : T.full([...a.experts.shape], 1, { dtype: 'bool', backend: a.experts.backend });

/** Slots per expert of capacity mode: fairseq's ceil(factor · tokens · k / E), at least 1. */
export function expertCapacity(tokens: number, k: number, numExperts: number, factor: number): number {
  if (!(factor > 0)) throw new MoEError(`expertCapacity: factor must be > 0, got ${factor}`);
  return Math.max(1, Math.ceil((factor * tokens * k) / numExperts));
}

/**
 * The slots of capacity mode: the assignment's positions (or, when it has none, the running
 * count of earlier choices to the same expert, first choices before second ones, as fairseq's
 * top-2 gate), and which choices are dropped (position ≥ capacity, or dropped by the router).
 */
export function assignSlots(a: Assignment, capacity: number): { positions: T.Tensor; dropped: T.Tensor } {
  needInt('assignSlots: capacity', capacity, 1);
  const positions = a.positions ?? runningCount(a.experts, a.numExperts);
  const over = T.ge(positions, capacity);
  return { positions, dropped: a.dropped ? T.logicalOr(a.dropped, over) : over };
}

/**
 * Runs x [tokens, dim] through the experts `a` chose and combines them with its weights:
 * out[t] = Σ_j weights[t, j] · expert_{experts[t, j]}(x[t]) over the kept choices; a dropped
 * choice adds nothing (its token passes through the residual outside the layer).
 *
 * - 'naive': a loop over experts, the reference.
 * - 'capacity' (fairseq): choices placed in [E, capacity, dim] slots by position, one batched
 *   expert computation, combined; choices past an expert's capacity are dropped.
 * - 'dropless' (MegaBlocks): choices sorted by expert and run through one grouped matmul per
 *   projection, each row times its own expert's weight: one launch for all experts, no padding,
 *   no capacity; nothing dropped beyond what the router dropped.
 */
export function dispatch(
  x: T.Tensor,
  a: Assignment,
  bank: ExpertBank,
  options: DispatchOptions = {},
): T.Tensor {
  const kind = options.kind ?? 'dropless';
  needTokens(`dispatch: x`, x, bank.dim);
  if (a.numExperts !== bank.numExperts) {
    throw new MoEError(
      `dispatch: assignment numExperts must be ${bank.numExperts} (the bank's), got ${a.numExperts}`,
    );
  }
  const [tokens] = x.shape;
  if (a.experts.rank !== 2 || a.experts.shape[0] !== tokens) {
    throw new MoEError(
      `dispatch: assignment experts must be [${tokens}, k], got [${a.experts.shape.join(', ')}]`,
    );
  }
  const k = a.experts.shape[1];
  if (a.experts.dtype !== 'i32')
    throw new MoEError(`dispatch: assignment experts must be i32, got ${a.experts.dtype}`);
  if (a.weights.rank !== 2 || a.weights.shape[0] !== tokens || a.weights.shape[1] !== k) {
    throw new MoEError(
      `dispatch: assignment weights must be [${tokens}, ${k}] like its experts, got [${a.weights.shape.join(', ')}]`,
    );
  }
  if (kind === 'naive') {
    const keep = kept(a);
    return naiveDispatch(x, a.experts, a.weights, keep, bank);
  }
  if (kind === 'capacity') {
    const capacity =
      options.capacity ?? expertCapacity(tokens, k, bank.numExperts, options.capacityFactor ?? 1);
    needInt('dispatch: capacity', capacity, 1);
    const { positions, dropped } = assignSlots(a, capacity);
    return runInSlots(
      x,
      { experts: a.experts, positions, keep: T.logicalNot(dropped), weights: a.weights },
      capacity,
      bank,
    );
  }
  if (kind === 'dropless') return groupedDispatch(x, a.experts, a.weights, kept(a), bank);
  throw new MoEError(`dispatch: kind must be 'naive', 'capacity' or 'dropless', got '${kind as string}'`);
}
