import type { Backend, EpilogueOp } from './backend.js';
import type { DType } from './dtype.js';
import type { Exp } from './ir/exp.js';
import type { KernelParams, OutSpec, View } from './opset.js';
import { isContiguous, numel } from './shape.js';

/** A strided read of a storage over the shape of the expression that reads it. */
export interface Source {
  readonly storage: Storage;
  readonly strides: readonly number[];
  readonly offset: number;
  readonly dtype: DType;
}

/**
 * How a pending storage will be computed: `exp` over `out.shape`, input slot j read from
 * `sources[j]`, param slot k holding `params[k]` (see {@link Backend.map}).
 */
export interface Recipe {
  readonly exp: Exp;
  readonly out: OutSpec;
  readonly sources: readonly Source[];
  readonly params: readonly number[];
}

/**
 * A kernel call not run yet (see {@link Storage.fromCall}): `op` computing `out` from `inputs`
 * (each a source with the shape the kernel reads it as).
 */
export interface KernelCall {
  readonly op: EpilogueOp;
  readonly out: OutSpec;
  readonly inputs: readonly (Source & { readonly shape: readonly number[] })[];
  readonly params: KernelParams[EpilogueOp];
}

/** The views a deferred kernel call reads (its inputs are computed first). */
const callViews = (c: KernelCall): View[] =>
  c.inputs.map((s) => ({
    handle: s.storage.handle,
    shape: s.shape,
    strides: s.strides,
    offset: s.offset,
    dtype: s.dtype,
  }));

/** The views a kernel reads `sources` through, over `shape` (pending sources are computed first). */
export const sourceViews = (sources: readonly Source[], shape: readonly number[]): View[] =>
  sources.map((s) => ({
    handle: s.storage.handle,
    shape,
    strides: s.strides,
    offset: s.offset,
    dtype: s.dtype,
  }));

let nextId = 0;

/**
 * A backend buffer shared by a tensor and its views; freed when the last of them is disposed.
 * The one owner of every buffer: tensors only hold references to it.
 *
 * A storage made by an elementwise op starts *pending*: it holds the op's {@link Recipe} (and a
 * reference to each storage the recipe reads) instead of a buffer, so that the ops that consume
 * it can inline the recipe into their own kernel. Reading {@link handle} computes it. Buffers
 * never change once computed, so computing later gives the same values.
 */
export class Storage<H = unknown> {
  /** Distinct per storage, to recognise two reads of one storage. */
  readonly id = nextId++;
  /** How many kernels have inlined this storage's recipe. */
  inlined = 0;
  private refs = 0;
  private _handle: H | undefined;
  private recipe: Recipe | undefined;
  private _call: KernelCall | undefined;

  constructor(
    readonly backend: Backend<H>,
    handle: H,
  ) {
    this._handle = handle;
  }

  /** A pending storage that computes `recipe` when its buffer is first needed. */
  static fromRecipe<H>(backend: Backend<H>, recipe: Recipe): Storage<H> {
    const s = new Storage<H>(backend, undefined as H);
    s.recipe = recipe;
    for (const src of recipe.sources) src.storage.retain();
    return s;
  }

  /**
   * A *deferred* storage: the output of a kernel op (matmul) that runs when its buffer is first
   * needed, so that an elementwise recipe reading all of it can run as the kernel's epilogue
   * (see {@link computeRecipes}). Only on backends with {@link Backend.epilogue}.
   */
  static fromCall<H>(backend: Backend<H>, call: KernelCall): Storage<H> {
    const s = new Storage<H>(backend, undefined as H);
    s._call = call;
    for (const src of call.inputs) src.storage.retain();
    return s;
  }

  /** The recipe while the buffer is not computed yet. */
  get pending(): Recipe | undefined {
    return this.recipe;
  }

  /** The kernel call of a deferred storage while it has not run. */
  get call(): KernelCall | undefined {
    return this._call;
  }

  /** How many tensors and recipes hold this storage. */
  get holders(): number {
    return this.refs;
  }

  /** The buffer, computed now if pending or deferred. */
  get handle(): H {
    if (this.recipe || this._call) this.realize();
    return this._handle as H;
  }

  /** Computes a pending storage's buffer (one kernel) and lets go of what its recipe read. */
  realize(): void {
    const c = this._call;
    if (c) {
      const kernel = this.backend.kernels[c.op];
      this.settleCall(kernel(c.out, callViews(c) as View<H>[], c.params));
      return;
    }
    const r = this.recipe;
    if (!r) return;
    this.settle(computeRecipes(this.backend, [r.exp], r.out.shape, r.sources, r.params)[0]);
  }

  /** Takes the computed buffer of a pending storage (see `realize` in fusion/realize.ts), letting go of its recipe. */
  settle(handle: H): void {
    const r = this.recipe;
    if (!r) throw new Error('internal: settle of a storage that is not pending');
    this._handle = handle;
    this.recipe = undefined;
    for (const s of r.sources) s.storage.release();
  }

  /** Takes the output buffer of a deferred storage's kernel, letting go of what it read. */
  private settleCall(handle: H): void {
    const c = this._call as KernelCall;
    this._handle = handle;
    this._call = undefined;
    for (const s of c.inputs) s.storage.release();
  }

  /**
   * Runs a deferred storage's kernel with `run`, which returns the outputs of an epilogue and,
   * when it stored the kernel's own output too, that buffer; undefined when it cannot fuse.
   */
  runEpilogue<R>(run: (call: KernelCall) => { result: R; product?: H } | undefined): R | undefined {
    const c = this._call;
    if (!c) return undefined;
    const done = run(c);
    if (!done) return undefined;
    if (done.product !== undefined) this.settleCall(done.product);
    return done.result;
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs !== 0) return;
    const r = this.recipe;
    const c = this._call;
    if (r) {
      this.recipe = undefined;
      for (const s of r.sources) s.storage.release();
    } else if (c) {
      this._call = undefined;
      for (const s of c.inputs) s.storage.release();
    } else this.backend.free(this._handle as H);
  }
}

/** Whether `s` reads all of its storage's kernel output in order: element i of `shape` is element i. */
const readsWhole = (s: Source, shape: readonly number[]): boolean => {
  const out = s.storage.call?.out;
  return (
    out !== undefined &&
    s.offset === 0 &&
    s.dtype === out.dtype &&
    numel(shape) === numel(out.shape) &&
    isContiguous(shape, s.strides)
  );
};

/**
 * Computes elementwise expressions (as {@link Backend.map}) over `shape`, input slot j read from
 * `sources[j]`. When a source is a deferred kernel output read whole and in order, and read by no
 * other slot, the backend may run that kernel with the expressions as its epilogue: one kernel
 * instead of two, the product stored too only when something else holds it (`holders` of its
 * references are the recipes being computed). Otherwise deferred sources are computed first.
 */
export function computeRecipes<H>(
  backend: Backend<H>,
  exps: readonly Exp[],
  shape: readonly number[],
  sources: readonly Source[],
  params: readonly number[],
  holders: (s: Storage) => number = () => 1,
): H[] {
  const fuse = backend.epilogue;
  const slot = fuse
    ? sources.findIndex(
        (s, j) => readsWhole(s, shape) && sources.every((o, k) => k === j || o.storage !== s.storage),
      )
    : -1;
  if (fuse && slot >= 0) {
    const target = sources[slot].storage as Storage<H>;
    // The other inputs first (computing them may compute the target too: then it is only read).
    const inputs = sources.map((s, j) => (j === slot ? undefined : (sourceViews([s], shape)[0] as View<H>)));
    const outputs = target.runEpilogue((call) => {
      const views = callViews(call) as View<H>[];
      const done = fuse.call(backend, call.op, call.out, views, call.params, {
        exps,
        shape,
        slot,
        inputs,
        params,
        keep: target.holders > holders(target as Storage),
      });
      return done && { result: done.outputs, product: done.product };
    });
    if (outputs) return outputs;
  }
  return backend.map(exps, shape, sourceViews(sources, shape) as View<H>[], [...params]);
}
