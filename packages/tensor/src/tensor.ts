import type { Backend } from './backend.js';
import { allocArray, type DType, isFloat, storageOf, type TypedArray } from './dtype.js';
import { DisposedError, fmt } from './errors.js';
import { type Disposable, track, unscope, untrack } from './memory.js';
import type { TensorLike as TL } from './ops/elementwise.js';
import type { SliceSpec } from './ops/movement.js';
import type { Axes } from './ops/reduce.js';
import type { OpName, OpParams } from './opset.js';
import { isContiguous, numel, sameShape } from './shape.js';
import type { Storage } from './storage.js';

/** Nested arrays of numbers, as `toArray()` returns them. */
export type NestedArray = number | NestedArray[];

/** @internal How a tensor was computed, for the backward pass. */
export interface GradNode {
  readonly op: OpName | string;
  readonly inputs: readonly Tensor[];
  readonly params: OpParams[OpName] | unknown;
  /** The backward rule of an extension op (see `defineOp`); built-in ops look theirs up in `RULES`. */
  readonly grad?: (g: Tensor, ctx: GradCtxOf<unknown>) => (Tensor | null)[];
}

/** What a backward rule sees of the forward call, for params `P`. */
export interface GradCtxOf<P> {
  readonly inputs: readonly Tensor[];
  readonly out: Tensor;
  readonly params: P;
  /** Which inputs need a gradient: rules may return null for the others and skip their work. */
  readonly needs: readonly boolean[];
}

/** Method-call forms of the ops (installed by methods.ts); each is the function of the same name. */
export declare interface Tensor {
  /** See {@link add}. */ add(b: TL): Tensor;
  /** See {@link sub}. */ sub(b: TL): Tensor;
  /** See {@link mul}. */ mul(b: TL): Tensor;
  /** See {@link div}. */ div(b: TL): Tensor;
  /** See {@link pow}. */ pow(b: TL): Tensor;
  /** See {@link neg}. */ neg(): Tensor;
  /** See {@link exp}. */ exp(): Tensor;
  /** See {@link log}. */ log(): Tensor;
  /** See {@link sqrt}. */ sqrt(): Tensor;
  /** See {@link abs}. */ abs(): Tensor;
  /** See {@link relu}. */ relu(): Tensor;
  /** See {@link sigmoid}. */ sigmoid(): Tensor;
  /** See {@link tanh}. */ tanh(): Tensor;
  /** See {@link matmul}. */ matmul(b: Tensor): Tensor;
  /** See {@link sum}. */ sum(axes?: Axes, keepdim?: boolean): Tensor;
  /** See {@link mean}. */ mean(axes?: Axes, keepdim?: boolean): Tensor;
  /** See {@link max}. */ max(axes?: Axes, keepdim?: boolean): Tensor;
  /** See {@link min}. */ min(axes?: Axes, keepdim?: boolean): Tensor;
  /** See {@link reshape}. */ reshape(shape: number[]): Tensor;
  /** See {@link permute}. */ permute(dims: number[]): Tensor;
  /** See {@link transpose}. */ transpose(a?: number, b?: number): Tensor;
  /** See {@link expand}. */ expand(shape: number[]): Tensor;
  /** See {@link slice}. */ slice(specs: (SliceSpec | number | null)[]): Tensor;
  /** See {@link unsqueeze}. */ unsqueeze(axis: number): Tensor;
  /** See {@link squeeze}. */ squeeze(axis?: number): Tensor;
  /** See {@link flatten}. */ flatten(start?: number, end?: number): Tensor;
  /** See {@link cast}. */ cast(dtype: DType): Tensor;
  /** See {@link contiguous}. */ contiguous(): Tensor;
  /** See {@link clone}. */ clone(): Tensor;
  /** See {@link softmax}. */ softmax(axis?: number): Tensor;
  /** See {@link logSoftmax}. */ logSoftmax(axis?: number): Tensor;
  /** Backpropagates from this tensor into the `.grad` of every leaf it depends on. */
  backward(gradient?: Tensor): void;
  /** A copy of this tensor on `backend` (reads its data, so it is async). */
  to(backend: Backend): Promise<Tensor>;
}

(Symbol as { dispose?: symbol }).dispose ??= Symbol.for('Symbol.dispose');

let nextId = 1;

/**
 * An n-dimensional array on one backend: a strided view (shape, strides, offset) onto a
 * reference-counted {@link Storage}. Views share storage; `dispose()` releases this view's reference.
 * Reads are asynchronous (`data()`, `toArray()`, `item()`).
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above declares the method forms installed by methods.ts
export class Tensor implements Disposable {
  /** Unique id, for debugging and graph bookkeeping. */
  readonly id = nextId++;
  /** Whether gradients flow to this tensor. Set with {@link Tensor.requireGrad}. */
  requiresGrad = false;
  /** Accumulated gradient after `backward()`; owned by this tensor (disposed with it). */
  grad: Tensor | null = null;
  /** @internal */
  node: GradNode | null = null;
  private disposed = false;

  /** @internal Use the creation functions (`tensor`, `zeros`, …) instead. */
  constructor(
    private _storage: Storage,
    readonly shape: readonly number[],
    private _strides: readonly number[],
    private _offset: number,
    readonly dtype: DType,
  ) {
    _storage.retain();
    track(this);
  }

  /** The reference-counted buffer this tensor views. */
  get storage(): Storage {
    return this._storage;
  }
  /** Elements to step in storage per index of each dim (0 for broadcast dims). */
  get strides(): readonly number[] {
    return this._strides;
  }
  /** Index in storage of the first element. */
  get offset(): number {
    return this._offset;
  }

  /**
   * Makes this tensor hold `src`'s values (same shape, dtype and backend), keeping its identity, as
   * optimizers and `loadStateDict` update parameters. Shares `src`'s buffer when it is contiguous,
   * else copies. Not recorded by autograd.
   */
  assign(src: Tensor): this {
    this.assertAlive('assign');
    src.assertAlive('assign (source)');
    if (src.backend !== this.backend || src.dtype !== this.dtype || !sameShape(src.shape, this.shape)) {
      throw new TypeError(
        `assign: source must match the target's shape ${fmt(this.shape)}, dtype ${this.dtype} and backend ${this.backend.name}; got ${fmt(src.shape)}, ${src.dtype}, ${src.backend.name}`,
      );
    }
    // A pending source stays pending: the gradient a clip scales is computed where the optimizer
    // reads it, and a parameter where the next step reads it.
    const c = src.isContiguous ? src : contiguousCopy(src);
    c.storage.retain();
    this._storage.release();
    this._storage = c.storage;
    this._strides = c.strides;
    this._offset = c.offset;
    if (c !== src) c.dispose();
    return this;
  }

  /** The backend whose memory holds this tensor. */
  get backend(): Backend {
    return this.storage.backend;
  }
  /** Number of elements. */
  get size(): number {
    return numel(this.shape);
  }
  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }
  /** Whether `dispose()` was called. */
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** Whether the elements lie row-major with no gaps from `offset`. */
  get isContiguous(): boolean {
    return isContiguous(this.shape, this.strides);
  }

  /** Throws {@link DisposedError} naming `what` if this tensor was disposed. */
  assertAlive(what: string): void {
    if (this.disposed) {
      throw new DisposedError(
        `${what}: tensor #${this.id} (${this.dtype}${fmt(this.shape)}) was disposed and cannot be used`,
      );
    }
  }

  /** A view that shares this tensor's storage but is cut from the graph (a new leaf). */
  detach(): Tensor {
    this.assertAlive('detach');
    return new Tensor(this._storage, this.shape, this._strides, this._offset, this.dtype);
  }

  /** Releases this tensor's reference to its storage (and its gradient). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.node = null;
    this.grad?.dispose();
    this.grad = null;
    untrack(this);
    this.storage.release();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Marks this tensor as a leaf that collects gradients. Returns it. */
  requireGrad(flag = true): this {
    if (this.node) {
      throw new TypeError(
        `requireGrad: tensor #${this.id} was computed by '${this.node.op}', only leaves can require gradients (compute it under noGrad, or detach() it)`,
      );
    }
    if (flag && !isFloat(this.dtype)) {
      throw new TypeError(`requireGrad: only f32 and f16 tensors can require gradients, got ${this.dtype}`);
    }
    this.requiresGrad = flag;
    // A leaf that trains is state: compute it now rather than at its first use.
    if (flag) this._storage.realize();
    return this;
  }

  /** @internal Replaces the gradient, keeping it out of enclosing tidy scopes. */
  setGrad(g: Tensor | null): void {
    if (this.grad && this.grad !== g) this.grad.dispose();
    // Kept pending: a gradient that is a copy or a scaled sum is computed where it is read.
    this.grad = g ? unscope(g) : null;
  }

  /**
   * Computes this tensor's buffer now if its elementwise op is still pending (waiting to fuse
   * into the ops that consume it), so that what it reads can be freed. Returns this tensor.
   */
  realize(): this {
    this.assertAlive('realize');
    this._storage.realize();
    return this;
  }

  /**
   * The elements in row-major order, as a new host array: f16 values in a Float32Array (each a
   * half value), bools as 0 and 1 in a Uint8Array.
   */
  async data(): Promise<TypedArray> {
    this.assertAlive('data');
    if (this.size === 0) return allocArray(this.dtype, 0);
    const dtype = storageOf(this.dtype);
    if (this.isContiguous) return this.backend.read(this.storage.handle, dtype, this.size, this.offset);
    const c = contiguousCopy(this);
    try {
      return await c.backend.read(c.storage.handle, dtype, c.size, 0);
    } finally {
      c.dispose();
    }
  }

  /** The elements as nested arrays, like `torch.Tensor.tolist()`. */
  async toArray(): Promise<NestedArray> {
    const flat = await this.data();
    const build = (dim: number, off: number): NestedArray => {
      if (dim === this.rank) return flat[off];
      const step = numel(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /** The single element of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new RangeError(`item: expected a tensor with one element, got shape ${fmt(this.shape)}`);
    return (await this.data())[0];
  }

  /** A short description: `Tensor(f32[2, 3], webgpu)`. */
  toString(): string {
    return `Tensor(${this.dtype}${fmt(this.shape)}, ${this.backend.name}${this.disposed ? ', disposed' : ''})`;
  }
}

// Set by ops at load time, so that `data()` of a strided view can copy it without a circular import.
let contiguousCopy: (t: Tensor) => Tensor = () => {
  throw new Error('tensor ops not loaded');
};
/** @internal */
export function setContiguousCopy(fn: (t: Tensor) => Tensor): void {
  contiguousCopy = fn;
}
