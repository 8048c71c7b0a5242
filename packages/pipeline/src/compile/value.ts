import type * as T from '@tessera/tensor';

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
