import type { CpuView } from '../../cpu/strided.js';
import { allocArray, type DType, storageOf, type TypedArray } from '../../dtype.js';
import { coalesce } from '../../ir/coalesce.js';
import { type Exp, keyOf, paramTypes, walk } from '../../ir/exp.js';
import { rowOffsets, runMap } from '../../ir/js.js';
import { paramWords } from '../../ir/wgsl.js';
import { contiguousStrides, numel } from '../../shape.js';
import { partsFor, ranges } from '../calls.js';
import type { KernelRuntime } from '../module.js';
import {
  type Access,
  ARG_HEAD,
  argWords,
  buildMapModule,
  elementBytes,
  type Slot,
  vectorizable,
} from './kernel.js';
import { lowerForWasm } from './lower.js';
import { HOST_IMPORTS, ROUTINES } from './routines.js';

/** A compiled map kernel: its entry point, whether it runs four lanes at a time, and its id in the worker threads. */
interface Kernel {
  readonly run: (args: number) => void;
  readonly vector: boolean;
  readonly id: number;
}

/** Rough cost of an element, for splitting between threads: a routine (exp, sin, …) ~20 operations, other ops 1. */
function elementCost(exps: readonly Exp[]): number {
  let cost = 0;
  walk(exps, (e) => {
    cost += ROUTINE_OPS.has(e.op) ? 20 : e.src.length > 0 ? 1 : 0;
  });
  return Math.max(cost, 1);
}
const ROUTINE_OPS = new Set<string>(ROUTINES);

/** How many map calls took each path, for tests and benchmarks. */
export interface MapCounts {
  /** Kernels run four lanes at a time (SIMD), then one at a time for each row's remainder. */
  vector: number;
  /** Kernels run one element at a time (some op or some input's step has no SIMD form). */
  scalar: number;
  /** Calls run by the JavaScript kernel (rounding to f16, or the engine refused to compile a module synchronously). */
  js: number;
  /** Kernel calls split between threads. */
  threaded: number;
}

/**
 * Elementwise kernels generated as WebAssembly from the expression IR, one module per expression
 * and input layout, compiled on first use and instantiated on the backend's memory (and in each
 * worker thread, on a shared one). A call copies its inputs into the arena (as the C kernels'
 * callers do), runs the kernel over the rows of the coalesced shape — split between threads by
 * rows, or a single row by ranges of it, when the work is worth it — and copies the outputs out.
 */
export class WasmMaps {
  private readonly kernels = new Map<string, Kernel | null>();
  private compiled = 0;
  readonly counts: MapCounts = { vector: 0, scalar: 0, js: 0, threaded: 0 };

  constructor(private readonly rt: KernelRuntime) {}

  private get arena() {
    return this.rt.arena;
  }

  /** Computes `exps` over `shape` into new arrays (see Backend.map). */
  map(given: readonly Exp[], shape: readonly number[], inputs: CpuView[], params: number[]): TypedArray[] {
    const n = numel(shape);
    const javascript = () => {
      const outs = given.map((e) => allocArray(e.dtype, n));
      if (n > 0) {
        this.counts.js++;
        runMap(given, outs, shape, inputs, params);
      }
      return outs;
    };
    const exps = n === 0 ? undefined : lowerForWasm(given);
    if (!exps) return javascript();
    const used = slotTypes(exps, inputs.length);
    // An input read as another dtype than its array's: what that means is the JavaScript kernel's.
    if (used.some((d, j) => d !== undefined && d !== storageOf(inputs[j].dtype))) return javascript();
    const { arena } = this;
    arena.reset();
    const placed = inputs.map((v, j) => (used[j] ? arena.place(v) : undefined));
    const { shape: s, strides } = coalesce(
      shape,
      inputs.map((v, j) => placed[j]?.strides ?? v.strides.map(() => 0)),
    );
    const len = s[s.length - 1];
    const rows = n / len;
    const slots = inputs.map((v, j): Slot | undefined =>
      used[j] ? { access: accessOf(s, strides[j]), dtype: storageOf(v.dtype) } : undefined,
    );
    const key = `${keyOf(exps)}|${slots.map((x) => (x ? `${x.access}.${x.dtype}` : '-')).join(',')}`;
    const kernel = this.kernel(key, exps, slots);
    if (!kernel) return javascript();
    this.counts[kernel.vector ? 'vector' : 'scalar']++;
    const words = new Int32Array(argWords(inputs.length, exps.length, params.length));
    words.set([0, rows, len, 0]);
    for (const [j, slot] of slots.entries()) {
      const p = placed[j];
      if (!slot || !p) continue;
      const size = elementBytes(slot.dtype);
      if (slot.access === 'flat' || slot.access === 'scalar')
        words[ARG_HEAD + 2 * j] = p.ptr + p.offset * size;
      else {
        const starts = rowOffsets(s.slice(0, -1), strides[j].slice(0, -1), p.offset);
        const table = arena.alloc(starts.length * 4);
        const addresses = new Int32Array(arena.memory.buffer, table, starts.length);
        for (let r = 0; r < starts.length; r++) addresses[r] = p.ptr + starts[r] * size;
        words[ARG_HEAD + 2 * j] = table;
        words[ARG_HEAD + 1 + 2 * j] = strides[j][s.length - 1] * size;
      }
    }
    const outPtrs = exps.map((e) => arena.alloc(n * elementBytes(e.dtype)));
    words.set(outPtrs, ARG_HEAD + 2 * inputs.length);
    words.set(paramWords(exps, params), ARG_HEAD + 2 * inputs.length + exps.length);
    const shares = this.split(words, slots, exps, n, rows, len);
    const blocks = shares.map((w) => {
      const at = arena.alloc(w.byteLength);
      new Int32Array(arena.memory.buffer, at, w.length).set(w);
      return at;
    });
    if (blocks.length > 1 && this.rt.pool) {
      this.counts.threaded++;
      this.rt.pool.runKernel(kernel.id, blocks, kernel.run);
    } else kernel.run(blocks[0]);
    return exps.map((e, i) => {
      const out = allocArray(e.dtype, n);
      const Typed = out.constructor as new (b: ArrayBufferLike, at: number, n: number) => TypedArray;
      out.set(new Typed(arena.memory.buffer, outPtrs[i], n) as never);
      return out;
    });
  }

  /**
   * The argument blocks of each thread's share: the whole map, or its rows in ranges, or (one row
   * of flat inputs) ranges of that row, each a multiple of 16 elements but the last.
   */
  private split(
    words: Int32Array,
    slots: (Slot | undefined)[],
    exps: readonly Exp[],
    n: number,
    rows: number,
    len: number,
  ): Int32Array[] {
    const parts = partsFor(this.rt, n * elementCost(exps));
    if (parts <= 1) return [words];
    if (rows > 1)
      return ranges(rows, Math.min(parts, rows), 1).map(([r0, count]) => {
        const w = words.slice();
        w.set([r0, r0 + count], 0);
        return w;
      });
    if (slots.some((x) => x && x.access !== 'flat' && x.access !== 'scalar')) return [words];
    return ranges(len, parts, 16).map(([start, count]) => {
      const w = words.slice();
      w.set([0, 1, count, start], 0);
      for (const [j, x] of slots.entries())
        if (x?.access === 'flat') w[ARG_HEAD + 2 * j] += start * elementBytes(x.dtype);
      for (const [i, e] of exps.entries())
        w[ARG_HEAD + 2 * slots.length + i] += start * elementBytes(e.dtype);
      return w;
    });
  }

  /** The kernel for `key`, compiled on first use; null where the engine will not compile synchronously. */
  private kernel(key: string, exps: readonly Exp[], slots: (Slot | undefined)[]): Kernel | null {
    const hit = this.kernels.get(key);
    if (hit !== undefined) return hit;
    const vector = vectorizable(exps, slots);
    const { pool } = this.rt;
    const bytes = buildMapModule(exps, slots, paramTypes(exps), { vector, sharedMemory: pool !== null });
    const imports = { env: { memory: this.arena.memory, ...HOST_IMPORTS } };
    const id = this.compiled++;
    let kernel: Kernel | null = null;
    try {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), imports);
      kernel = { run: instance.exports.map as (args: number) => void, vector, id };
      if (pool) {
        // The workers compile their own instances from a copy in the shared memory.
        const at = this.arena.alloc(bytes.length);
        new Uint8Array(this.arena.memory.buffer, at, bytes.length).set(bytes);
        pool.loadKernel(at, bytes.length, id);
      }
    } catch (e) {
      // Browsers refuse to compile large modules synchronously on a page's main thread: run the
      // JavaScript kernel until the asynchronous compile has finished.
      if (!(e instanceof RangeError)) throw e;
      this.kernels.set(key, null);
      // (Only single-threaded backends get here: a page's main thread never starts workers.)
      void WebAssembly.instantiate(bytes as BufferSource, imports).then(({ instance }) => {
        this.kernels.set(key, { run: instance.exports.map as (args: number) => void, vector, id });
      });
    }
    if (kernel) this.kernels.set(key, kernel);
    return kernel;
  }
}

/** The dtype each input slot is read as in `exps` (undefined where unread, 'mixed' where read as two). */
function slotTypes(exps: readonly Exp[], slots: number): (DType | 'mixed' | undefined)[] {
  const types = new Array<DType | 'mixed' | undefined>(slots).fill(undefined);
  walk(exps, (e) => {
    if (e.op !== 'input') return;
    const t = types[e.arg];
    types[e.arg] = t === undefined || t === e.dtype ? e.dtype : 'mixed';
  });
  return types;
}

/** How the kernel walks an input with `strides` over the coalesced `shape`. */
function accessOf(shape: readonly number[], strides: readonly number[]): Access {
  if (strides.every((x) => x === 0)) return 'scalar';
  const cs = contiguousStrides(shape);
  if (strides.every((x, d) => x === cs[d] || shape[d] === 1)) return 'flat';
  const inner = strides[strides.length - 1];
  return inner === 1 ? 'rows' : inner === 0 ? 'rowScalar' : 'strided';
}
