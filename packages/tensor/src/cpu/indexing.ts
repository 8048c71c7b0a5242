import type { TypedArray } from '../dtype.js';
import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';

export const indexingCpu = {} as { [K in IndexingGroup]: KernelFn<TypedArray, K> };
