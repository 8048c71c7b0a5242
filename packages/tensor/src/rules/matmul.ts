import type { MatmulGroup } from '../opgroups.js';
import type { KernelRules } from './types.js';

const todo = { infer: () => { throw new Error('not implemented yet'); }, grad: { nondifferentiable: 'todo' } };
export const matmulRules = new Proxy({}, { get: () => todo }) as unknown as KernelRules<MatmulGroup>;
