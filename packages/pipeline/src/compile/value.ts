import * as T from '@tessera/tensor';

/** Strings held on the host, row-major [rows, columns] (categorical inputs before an encoder). */
export interface HostStrings {
  readonly strings: readonly string[];
  readonly columns: number;
}

/** A classifier's predicted class per row: indices into `labels` ([rows, 1] i32 on the device). */
export interface LabelValue {
  readonly index: T.Tensor;
  readonly labels: readonly (number | string)[];
}

/** What flows between compiled operators while a pipeline scores rows. */
export type RunValue = T.Tensor | HostStrings | LabelValue;

export const isStrings = (v: RunValue): v is HostStrings => 'strings' in v;
export const isLabels = (v: RunValue): v is LabelValue => 'labels' in v && 'index' in v;

/**
 * A classifier's labels where another operator reads them (a LabelEncoder renaming them, a column
 * select): numeric labels as a float [rows, 1] tensor of the label values, string labels as host
 * strings.
 */
export async function labelsAsValues(v: LabelValue, backend: T.Backend): Promise<T.Tensor | HostStrings> {
  const numeric = numericLabels(v, backend);
  if (numeric) return numeric;
  const index = await v.index.data();
  return { strings: [...index].map((i) => String(v.labels[i])), columns: 1 };
}

/** Numeric labels as a float [rows, 1] tensor of the label values (on the device); undefined for strings. */
export function numericLabels(v: LabelValue, backend: T.Backend): T.Tensor | undefined {
  if (!v.labels.every((l) => typeof l === 'number')) return undefined;
  const table = T.tensor(Float32Array.from(v.labels as number[]), { shape: [v.labels.length, 1], backend });
  return T.indexSelect(table, 0, T.reshape(v.index, [v.index.shape[0]]));
}
