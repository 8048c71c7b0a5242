// Method-call sugar on Tensor (`x.add(y).relu().sum()`), each delegating to the function of the same name.
// The signatures are declared next to the class, in tensor.ts.
import { backward } from './autograd.js';
import type { Backend } from './backend.js';
import * as O from './ops/index.js';
import { Tensor } from './tensor.js';

const P = Tensor.prototype as unknown as Record<string, unknown>;
const delegate = (name: string, fn: (...a: never[]) => unknown) => {
  P[name] = function (this: Tensor, ...args: unknown[]) {
    return (fn as (...a: unknown[]) => unknown)(this, ...args);
  };
};
for (const name of [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'relu',
  'sigmoid',
  'tanh',
  'matmul',
  'sum',
  'mean',
  'max',
  'min',
  'reshape',
  'permute',
  'transpose',
  'expand',
  'slice',
  'unsqueeze',
  'squeeze',
  'flatten',
  'cast',
  'contiguous',
  'clone',
  'softmax',
  'logSoftmax',
] as const) {
  // biome-ignore lint/performance/noDynamicNamespaceImportAccess: a fixed list, bound once at load
  delegate(name, O[name] as (...a: never[]) => unknown);
}

P.backward = function (this: Tensor, gradient?: Tensor) {
  backward(this, gradient);
};
P.to = async function (this: Tensor, backend: Backend) {
  if (backend === this.backend) return this;
  return O.tensor(await this.data(), { shape: [...this.shape], dtype: this.dtype, backend });
};
