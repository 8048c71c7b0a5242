import type { TypedArray } from '../dtype.js';
import type { View } from '../opset.js';
import type { Placed } from './arena.js';
import { type Codebook4Weight, type Codebook8Values, codebooks } from './codebook.js';
import type { KernelRuntime } from './module.js';

/**
 * What an extension op's WebAssembly kernel (`ExtensionKernels.wasm`) works with: the wasm
 * backend's memory and threads, and the routines of its module that other packages call. A kernel
 * places its operands with {@link operands} first, then calls routines on them; each routine
 * returns a new host array (its result copied out of WebAssembly memory).
 */
export interface WasmKernelRuntime {
  /** Threads the routines split their work between, the calling one included. */
  readonly threads: number;
  /**
   * Puts one kernel call's operands into WebAssembly memory, keeping their strides: a large buffer
   * read on more than one call stays there (until freed or evicted) instead of being copied again.
   * Call it once per kernel call, before any routine. Operands are f32, i32 or u32 (4-byte
   * elements: element i of a view is at byte `ptr + 4·(offset + Σ iₐ·strides[d])`).
   */
  operands(views: readonly View<TypedArray>[]): Placed[];
  /** y [m, n] = x · Wᵀ for x [m, k] (an f32 operand with rows of unit stride) and a 4-bit code-book weight W [n, k]. */
  codebook4Matmul(x: Placed, m: number, w: Codebook4Weight): Float32Array;
  /** Elements [start, start + count) of a 4-bit code-book weight, flattened, decoded to f32. */
  codebook4Decode(w: Codebook4Weight, start: number, count: number): Float32Array;
  /** Elements [start, start + count) of 8-bit code-book values (e.g. double-quantized absmax), decoded to f32. */
  codebook8Decode(v: Codebook8Values, start: number, count: number): Float32Array;
}

/** The {@link WasmKernelRuntime} over a backend's kernels. */
export function wasmKernelRuntime(rt: KernelRuntime): WasmKernelRuntime {
  const cb = codebooks(rt);
  return {
    threads: rt.pool?.threads ?? 1,
    operands(views) {
      const narrow = views.find((v) => v.handle.BYTES_PER_ELEMENT !== 4);
      if (narrow)
        throw new TypeError(
          `WasmKernelRuntime.operands: operands must be f32, i32 or u32, got ${narrow.dtype}`,
        );
      return rt.arena.operands(views);
    },
    codebook4Matmul: cb.matmul4,
    codebook4Decode: cb.decode4,
    codebook8Decode: cb.decode8,
  };
}
