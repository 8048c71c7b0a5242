import * as T from '@tessera/tensor';
import type { OperatorKind, OperatorOf, ValueInfo } from '../../ir/types.js';
import type { StrategyChoice, TreeStrategyName } from '../trees/strategy.js';
import type { RunValue } from '../value.js';

/** What compiling an operator may use: the backend its constants live on, its inputs' types. */
export interface CompileContext {
  backend: T.Backend;
  inputs: ValueInfo[];
  /** The tree strategy asked for, or a rule that chooses one (see chooseStrategy). */
  strategy: StrategyChoice;
}

/** An operator ready to run: its constants uploaded, its computation a function of its inputs. */
export interface CompiledOp {
  /** Outputs in the node's order. Host-side checks (unknown categories) may make it async. */
  run(inputs: RunValue[], rows: number): RunValue[] | Promise<RunValue[]>;
  /** Frees the constants it uploaded. */
  dispose(): void;
  /** For inspection: the tree strategy chosen, where the operator has trees. */
  readonly strategy?: TreeStrategyName;
}

/** How one operator kind compiles. */
export type CompileRule<K extends OperatorKind> = (op: OperatorOf<K>, ctx: CompileContext) => CompiledOp;

/** Takes constants out of any enclosing `tidy` scope: the compiled program owns them. */
export function constants<A extends T.Tensor[]>(...ts: A): A {
  for (const t of ts) T.keep(t);
  return ts;
}

/** A compiled operator whose constants are `owned` tensors and whose computation is `run`. */
export function compiled(
  run: CompiledOp['run'],
  owned: T.Tensor[] = [],
  extra: Partial<CompiledOp> = {},
): CompiledOp {
  constants(...owned);
  return {
    run,
    dispose: () => {
      for (const t of owned) t.dispose();
    },
    ...extra,
  };
}
