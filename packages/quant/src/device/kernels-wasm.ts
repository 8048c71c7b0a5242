import type * as T from '@tessera/tensor';
import type { DecodeParams, Matmul4Params } from './ops.js';

type Host = T.View<Float32Array | Int32Array | Uint32Array | Uint8Array>;

/** The codes, absmax and book of a weight [n, k] as tensor's code-book routines read them. */
const weight = (codes: T.WasmOperand, absmax: T.WasmOperand, p: Omit<Matmul4Params, 'trans'>) => ({
  codes,
  scales: absmax,
  blockSize: p.blockSize,
  book: p.book,
  n: p.n,
  k: p.k,
});

/**
 * y = x · Wᵀ on the WebAssembly backend: tensor's code-book 4-bit routine decodes the packed codes
 * in registers (the weight is never held in f32), split between threads by output columns; the
 * codes and absmax stay in WebAssembly memory across calls. The input gradient (`trans`) is not
 * this routine's: the CPU reference computes it (`cpu`).
 */
export function matmul4Wasm(
  rt: T.WasmKernelRuntime,
  [x, c, a]: Host[],
  p: Matmul4Params,
  cpu: () => Float32Array,
): Float32Array {
  if (p.trans) return cpu();
  const [px, pc, pa] = rt.operands([x, c, a]);
  return rt.codebook4Matmul(px, x.shape[0], weight(pc, pa, p));
}

/**
 * Dequantization on the WebAssembly backend: 4-bit codes (the weight) and 8-bit ones (double
 * quantization's absmax, decoded on every matmul4), bit for bit as the CPU decoder; an offset that
 * is not an f32 value (the CPU decoder adds it in f64) runs `cpu`.
 */
export function decodeWasm(
  rt: T.WasmKernelRuntime,
  [c, a]: Host[],
  p: DecodeParams,
  cpu: () => Float32Array,
) {
  const n = p.shape.reduce((s, d) => s * d, 1);
  if (p.bits === 4 && p.offset === 0) {
    const [pc, pa] = rt.operands([c, a]);
    return rt.codebook4Decode(weight(pc, pa, { n: 1, k: n, blockSize: p.blockSize, book: p.book }), 0, n);
  }
  if (p.bits === 8 && Math.fround(p.offset) === p.offset) {
    const [codes, scales] = rt.operands([c, a]);
    return rt.codebook8Decode(
      { codes, scales, blockSize: p.blockSize, book: p.book, offset: p.offset },
      0,
      n,
    );
  }
  return cpu();
}
