/**
 * ml-pca 4.1.1 (`toJSON()`: { name, center, scale, means, stdevs, U, S, excludedFeatures }), as its
 * source (src/pca.ts predict) has it: with `center`, subtract `means` (one per input column);
 * then, with `scale` as well, drop the excludedFeatures (zero-variance columns, each index counted
 * after the previous removals) and divide by `stdevs`; then multiply by U (columns × components),
 * keeping the first nComponents. Without `center`, `scale` does nothing. A model fitted on a
 * covariance matrix has no means and cannot project rows: it is refused.
 */
import type { Operator } from '../../ir/types.js';
import type { JsonReader } from '../json.js';

export interface PcaSteps {
  /** The operators in order, each reading the previous one's output. */
  ops: { name: string; op: Operator }[];
  columns: number;
}

export function readPca(model: JsonReader, components?: number): PcaSteps {
  const u = model.at('U').matrix();
  if (u.length === 0 || u[0].length === 0) model.at('U').fail('is empty');
  const k = components ?? u[0].length;
  if (!(Number.isInteger(k) && k >= 1 && k <= u[0].length))
    model.at('U').fail(`has ${u[0].length} components, ${k} were asked for`);
  const ops: PcaSteps['ops'] = [];
  let columns = u.length;
  if (model.at('center').boolean()) {
    if (!model.has('means'))
      model.at('means').fail('is null: a PCA fitted on a covariance matrix cannot project rows');
    let means = model.at('means').numbers();
    columns = means.length;
    if (model.at('scale').boolean()) {
      const kept = Array.from({ length: columns }, (_, i) => i);
      for (const e of model.optional('excludedFeatures')?.integers(0, columns) ?? []) {
        if (e >= kept.length) model.at('excludedFeatures').fail(`removes column ${e} of ${kept.length}`);
        kept.splice(e, 1);
      }
      if (kept.length < columns) ops.push({ name: 'kept', op: { kind: 'select', indices: kept } });
      means = kept.map((i) => means[i]);
      const stdevs = model.at('stdevs').numbers(false, kept.length);
      const scale = stdevs.map((s, i) => (s === 0 ? model.at('stdevs').fail(`entry ${i} is 0`) : 1 / s));
      ops.push({ name: 'standardize', op: { kind: 'scaler', offset: means, scale } });
    } else {
      ops.push({ name: 'center', op: { kind: 'scaler', offset: means, scale: [1] } });
    }
  }
  const weights = Array.from({ length: k }, (_, c) => u.map((row) => row[c]));
  ops.push({ name: 'project', op: { kind: 'linear', weights, bias: new Array(k).fill(0), post: 'none' } });
  return { ops, columns };
}
