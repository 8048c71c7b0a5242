// Method-call sugar on Tensor (`x.add(y).relu().sum()`), each delegating to the function of the same name.
import { backward } from './autograd.js';
import type { Backend } from './backend.js';
import type { DType } from './dtype.js';
import * as O from './ops/index.js';
import { Tensor } from './tensor.js';

type TL = O.TensorLike;

declare module './tensor.js' {
  interface Tensor {
    /** See {@link O.add}. */ add(b: TL): Tensor;
    /** See {@link O.sub}. */ sub(b: TL): Tensor;
    /** See {@link O.mul}. */ mul(b: TL): Tensor;
    /** See {@link O.div}. */ div(b: TL): Tensor;
    /** See {@link O.pow}. */ pow(b: TL): Tensor;
    /** See {@link O.neg}. */ neg(): Tensor;
    /** See {@link O.exp}. */ exp(): Tensor;
    /** See {@link O.log}. */ log(): Tensor;
    /** See {@link O.sqrt}. */ sqrt(): Tensor;
    /** See {@link O.abs}. */ abs(): Tensor;
    /** See {@link O.relu}. */ relu(): Tensor;
    /** See {@link O.sigmoid}. */ sigmoid(): Tensor;
    /** See {@link O.tanh}. */ tanh(): Tensor;
    /** See {@link O.matmul}. */ matmul(b: Tensor): Tensor;
    /** See {@link O.sum}. */ sum(axes?: O.Axes, keepdim?: boolean): Tensor;
    /** See {@link O.mean}. */ mean(axes?: O.Axes, keepdim?: boolean): Tensor;
    /** See {@link O.max}. */ max(axes?: O.Axes, keepdim?: boolean): Tensor;
    /** See {@link O.min}. */ min(axes?: O.Axes, keepdim?: boolean): Tensor;
    /** See {@link O.reshape}. */ reshape(shape: number[]): Tensor;
    /** See {@link O.permute}. */ permute(dims: number[]): Tensor;
    /** See {@link O.transpose}. */ transpose(a?: number, b?: number): Tensor;
    /** See {@link O.expand}. */ expand(shape: number[]): Tensor;
    /** See {@link O.slice}. */ slice(specs: (O.SliceSpec | number | null)[]): Tensor;
    /** See {@link O.unsqueeze}. */ unsqueeze(axis: number): Tensor;
    /** See {@link O.squeeze}. */ squeeze(axis?: number): Tensor;
    /** See {@link O.flatten}. */ flatten(start?: number, end?: number): Tensor;
    /** See {@link O.cast}. */ cast(dtype: DType): Tensor;
    /** See {@link O.contiguous}. */ contiguous(): Tensor;
    /** See {@link O.clone}. */ clone(): Tensor;
    /** See {@link O.softmax}. */ softmax(axis?: number): Tensor;
    /** See {@link O.logSoftmax}. */ logSoftmax(axis?: number): Tensor;
    /** Backpropagates from this tensor into the `.grad` of every leaf it depends on. */
    backward(gradient?: Tensor): void;
    /** A copy of this tensor on `backend` (reads its data, so it is async). */
    to(backend: Backend): Promise<Tensor>;
    /** A view that shares storage but is cut from the graph. */
    detach(): Tensor;
  }
}

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
P.detach = function (this: Tensor) {
  this.assertAlive('detach');
  return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype);
};
