import type { Tensor } from '../tensor.js';
import { cast, ne } from './elementwise.js';
import { type Axes, max, min } from './reduce.js';

/** Whether any element over `axes` (default: all) is nonzero, as bool (NaN counts as nonzero). */
export const any = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  cast(max(cast(ne(x, 0), 'i32'), axes, keepdim), 'bool');

/** Whether every element over `axes` (default: all) is nonzero, as bool. */
export const all = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  cast(min(cast(ne(x, 0), 'i32'), axes, keepdim), 'bool');
