import type { Backend } from './backend.js';
import type { DType } from './dtype.js';
import type { Exp } from './ir/exp.js';
import type { OutSpec, View } from './opset.js';

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

  /** The recipe while the buffer is not computed yet. */
  get pending(): Recipe | undefined {
    return this.recipe;
  }

  /** The buffer, computed now if pending. */
  get handle(): H {
    if (this.recipe) this.realize();
    return this._handle as H;
  }

  /** Computes a pending storage's buffer (one kernel) and lets go of what its recipe read. */
  realize(): void {
    const r = this.recipe;
    if (!r) return;
    const views = sourceViews(r.sources, r.out.shape) as View<H>[];
    this.settle(this.backend.map([r.exp], r.out.shape, views, [...r.params])[0]);
  }

  /** Takes the computed buffer of a pending storage (see `realize` in fusion/realize.ts), letting go of its recipe. */
  settle(handle: H): void {
    const r = this.recipe;
    if (!r) throw new Error('internal: settle of a storage that is not pending');
    this._handle = handle;
    this.recipe = undefined;
    for (const s of r.sources) s.storage.release();
  }

  retain(): this {
    this.refs++;
    return this;
  }

  release(): void {
    if (--this.refs !== 0) return;
    const r = this.recipe;
    if (r) {
      this.recipe = undefined;
      for (const s of r.sources) s.storage.release();
    } else this.backend.free(this._handle as H);
  }
}
