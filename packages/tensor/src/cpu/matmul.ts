import type { TypedArray } from '../dtype.js';
import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';

export const matmulCpu = {} as { [K in MatmulGroup]: KernelFn<TypedArray, K> };
