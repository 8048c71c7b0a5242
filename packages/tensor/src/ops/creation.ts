import { apply } from '../apply.js';
import type { Backend } from '../backend.js';
import { checkDType, type DType, dtypeOf, storageOf, toArray } from '../dtype.js';
import { DTypeError, ShapeError } from '../errors.js';
import { getBackend } from '../runtime.js';
import { checkShape, contiguousStrides, numel } from '../shape.js';
import { Storage } from '../storage.js';
import { type NestedArray, Tensor } from '../tensor.js';

/** Where and as what a new tensor is made. */
export interface CreateOptions {
  /** Default: `f32` (or the TypedArray's own dtype). */
  dtype?: DType;
  /** Default: the backend chosen by `init()`. */
  backend?: Backend;
}

function flatten(data: NestedArray, shape: number[], out: number[], depth: number): void {
  if (typeof data === 'number') {
    if (depth !== shape.length)
      throw new ShapeError(
        `tensor: ragged nested array (a number at depth ${depth}, expected ${shape.length})`,
      );
    out.push(data);
    return;
  }
  if (depth === shape.length) shape.push(data.length);
  else if (shape[depth] !== data.length) {
    throw new ShapeError(
      `tensor: ragged nested array (length ${data.length} at depth ${depth}, expected ${shape[depth]})`,
    );
  }
  for (const d of data) flatten(d, shape, out, depth + 1);
}

/** Typed arrays {@link tensor} takes, with the dtype each becomes by default. */
export type HostArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint8ClampedArray
  | Uint16Array
  | Uint32Array;

/**
 * A tensor from nested arrays, a flat array with `shape`, or a typed array. A typed array keeps its
 * values: Float32Array/Float64Array become f32, Int8/16/32Array i32, Uint16/32Array u32, and
 * Uint8Array u8, unless `dtype` asks for another (floats then truncate toward zero, integers wrap).
 * The data is copied.
 */
export function tensor(
  data: NestedArray | HostArray,
  options: CreateOptions & { shape?: number[] } = {},
): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  if (options.dtype !== undefined) checkDType('tensor', options.dtype);
  if (ArrayBuffer.isView(data)) {
    dtypeOf(data); // refuses views it cannot read before anything is made
    flat = data as ArrayLike<number>;
    shape = options.shape ? checkShape('tensor', options.shape) : [data.length];
  } else {
    const values: number[] = [];
    const inferred: number[] = [];
    flatten(data, inferred, values, 0);
    flat = values;
    shape = options.shape ? checkShape('tensor', options.shape) : inferred;
  }
  if (numel(shape) !== flat.length) {
    throw new ShapeError(
      `tensor: shape ${JSON.stringify(shape)} needs ${numel(shape)} elements, got ${flat.length}`,
    );
  }
  const dtype = options.dtype ?? (ArrayBuffer.isView(data) ? dtypeOf(data) : 'f32');
  const backend = options.backend ?? getBackend();
  const handle = backend.upload(toArray(dtype, flat), storageOf(dtype));
  return new Tensor(new Storage(backend, handle), shape, contiguousStrides(shape), 0, dtype);
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: number[], value: number, options: CreateOptions = {}): Tensor {
  const dtype = checkDType('full', options.dtype ?? 'f32');
  return apply('full', [], { shape: checkShape('full', shape), dtype, value }, options.backend);
}
/** Zeros of `shape`. */
export const zeros = (shape: number[], options: CreateOptions = {}): Tensor => full(shape, 0, options);
/** Ones of `shape`. */
export const ones = (shape: number[], options: CreateOptions = {}): Tensor => full(shape, 1, options);
/** `value` in a tensor of the same shape, dtype and backend as `t`. */
export const fullLike = (t: Tensor, value: number, dtype: DType = t.dtype): Tensor =>
  full([...t.shape], value, { dtype, backend: t.backend });
/** Zeros like `t`. */
export const zerosLike = (t: Tensor): Tensor => fullLike(t, 0);
/** Ones like `t`. */
export const onesLike = (t: Tensor): Tensor => fullLike(t, 1);

/** `[start, start + step, …]` below `end` (like `torch.arange`); `arange(n)` is `0..n-1`. */
export function arange(start: number, end?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new RangeError('arange: step must be non-zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = checkDType(
    'arange',
    options.dtype ?? (Number.isInteger(start) && Number.isInteger(step) ? 'i32' : 'f32'),
  );
  return apply('arange', [], { shape: [n], dtype, start, step }, options.backend);
}

/**
 * A seeded stream of random numbers. Each draw takes the next `numel` counters of the stream, so the
 * same seed and draws give the same numbers on every backend (a counter-based PCG hash, as in
 * Philox-style generators). Uniform draws agree bit for bit; normal draws to float rounding.
 */
export class Generator {
  private counter = 0;
  constructor(readonly seed: number = 0) {
    if (!Number.isInteger(seed)) throw new TypeError(`Generator: seed must be an integer, got ${seed}`);
  }
  /** @internal Reserves `n` counters and returns the first. */
  take(n: number): number {
    const c = this.counter;
    this.counter += n;
    return c;
  }
  /** Counters used so far (for checkpointing). */
  get offset(): number {
    return this.counter;
  }
  set offset(v: number) {
    this.counter = v;
  }
}

const defaultGenerator = new Generator(0);
/** Reseeds the default generator. */
export function manualSeed(seed: number): void {
  const g = defaultGenerator as unknown as { seed: number };
  g.seed = seed;
  defaultGenerator.offset = 0;
}

/** Random options: a generator (default: the global one, see {@link manualSeed}). */
export interface RandomOptions extends CreateOptions {
  generator?: Generator;
}

function random(op: 'rand' | 'randn', shape: number[], options: RandomOptions): Tensor {
  const dtype = options.dtype ?? 'f32';
  if (dtype !== 'f32') throw new DTypeError(`${op}: dtype must be f32, got ${dtype}`);
  const gen = options.generator ?? defaultGenerator;
  const s = checkShape(op, shape);
  return apply(op, [], { shape: s, dtype, seed: gen.seed, offset: gen.take(numel(s)) }, options.backend);
}
/** Uniform [0, 1) of `shape`. */
export const rand = (shape: number[], options: RandomOptions = {}): Tensor => random('rand', shape, options);
/** Standard normal of `shape`. */
export const randn = (shape: number[], options: RandomOptions = {}): Tensor =>
  random('randn', shape, options);
