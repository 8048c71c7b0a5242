/**
 * Where scikit-learn (1.2) refuses NaN: every estimator validates its input with check_array, which
 * raises on NaN ("Input contains NaN"), except the scalers (StandardScaler, MinMaxScaler,
 * RobustScaler, MaxAbsScaler: NaN passes through), SimpleImputer with missing_values=NaN (replaces
 * it), OneHotEncoder with handle_unknown='ignore' (an unknown category: zeros), ColumnTransformer's
 * column selection and weights, and trees that learned where missing values go
 * (missing_go_to_left, scikit-learn >= 1.3). An input column is refused where its NaN would reach
 * a refusing estimator.
 */
import type { Operator, Pipeline } from '../../ir/types.js';
import { validatePipeline } from '../../ir/validate.js';

/**
 * Per input column, whether scikit-learn refuses NaN there; `accepting` are the operators of
 * estimators that take NaN (trees with missing-value branches). Undefined where none is refused.
 */
export function refusedNaN(pipeline: Pipeline, accepting: Set<Operator>): boolean[] | undefined {
  const { values } = validatePipeline(pipeline);
  const input = pipeline.inputs[0];
  // For each column of a value, the input column whose NaN it may carry, or −1.
  const carries = new Map<string, Int32Array>([
    [input.name, Int32Array.from({ length: input.columns }, (_, c) => c)],
  ]);
  const refused = new Array<boolean>(input.columns).fill(false);
  const none = (name: string) => new Int32Array(values.get(name)!.columns).fill(-1);
  for (const node of pipeline.nodes) {
    const ins = node.inputs.map((n) => carries.get(n)!);
    const op = node.op;
    let out: Int32Array[];
    if (op.kind === 'scaler' || op.kind === 'constant') out = [ins[0]];
    else if (op.kind === 'select') out = [Int32Array.from(op.indices, (i) => ins[0][i])];
    else if (op.kind === 'concat') out = [Int32Array.from(ins.flatMap((c) => [...c]))];
    else if (op.kind === 'imputer' && Number.isNaN(op.missing)) out = [none(node.outputs[0])];
    else {
      const takesNaN = accepting.has(op) || (op.kind === 'oneHot' && op.unknown === 'zeros');
      if (!takesNaN) for (const c of ins.flatMap((v) => [...v])) if (c >= 0) refused[c] = true;
      out = node.outputs.map(none);
    }
    node.outputs.forEach((name, i) => {
      carries.set(name, out[i]);
    });
  }
  return refused.some(Boolean) ? refused : undefined;
}
