/**
 * scikit-learn's Pipeline and ColumnTransformer (sklearn/pipeline.py, sklearn/compose; 1.2.1).
 * A Pipeline applies its steps in order ('passthrough' steps do nothing); every step but the last
 * is a transformer. A ColumnTransformer gives each transformer its fitted input columns and puts
 * the outputs side by side in transformer order (the remainder last), multiplied by
 * transformer_weights where given; 'drop' and empty column lists contribute nothing.
 */
import type { JsonReader } from '../json.js';
import type { Converted, Converter } from './context.js';

export const pipeline: Converter = (est, x, name, ctx): Converted => {
  let result: Converted = { kind: 'transform', value: x };
  let last: JsonReader | undefined;
  for (const step of est.at('steps').items()) {
    const spec = step.at('estimator');
    if (spec.value === 'passthrough') continue;
    if (result.kind !== 'transform')
      return last!.fail(
        `only the last step may be a ${result.kind}; the steps after it need a transformed matrix`,
      );
    result = ctx.convert(spec, result.value, `${name}/${step.at('name').string()}`);
    last = step;
  }
  return result;
};

/** The transformed value of one ColumnTransformer part, or undefined for 'drop' and empty parts. */
function part(est: JsonReader, x: string, name: string, ctx: Parameters<Converter>[3]): string | undefined {
  const spec = est.at('estimator');
  if (spec.value === 'drop') return undefined;
  const columns = est.at('columns').integers(0, 2 ** 31 - 1);
  if (columns.length === 0) return undefined;
  const partName = `${name}/${est.at('name').string()}`;
  let value = ctx.b.add1(`${partName}:columns`, { kind: 'select', indices: columns }, [x]);
  if (spec.value !== 'passthrough') {
    const out = ctx.convert(spec, value, partName);
    if (out.kind !== 'transform')
      return spec.fail(`a ColumnTransformer part must be a transformer, got a ${out.kind}`);
    value = out.value;
  }
  const weight = est.optional('weight')?.number();
  if (weight === undefined || weight === 1) return value;
  return ctx.b.add1(`${partName}:weight`, { kind: 'constant', fn: 'mul', value: [weight] }, [value]);
}

export const columnTransformer: Converter = (est, x, name, ctx): Converted => {
  const parts = est
    .at('transformers')
    .items()
    .flatMap((t) => part(t, x, name, ctx) ?? []);
  if (parts.length === 0) est.at('transformers').fail('no transformer outputs any column');
  if (parts.length === 1) return { kind: 'transform', value: parts[0] };
  return { kind: 'transform', value: ctx.b.add1(name, { kind: 'concat' }, parts) };
};
