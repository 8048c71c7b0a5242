import * as T from '@tessera/tensor';
import { checkOneOf, QuantError, show } from '../checks.js';
import { codeBook } from '../codebooks.js';
import { matmul4Op } from './ops.js';
import { QuantizedWeight } from './weight.js';

/** Options of {@link matmul4}. */
export interface Matmul4Options {
  /**
   * `f16`: half-precision tiles and products on WebGPU adapters with `shader-f16` (bitsandbytes'
   * compute_dtype=float16; sums stay f32), an error on others. The CPU reference computes in f32.
   */
  compute?: 'f32' | 'f16';
}

/**
 * `x · Wᵀ` for x [..., K] and a 4-bit weight W [N, K] (Linear layout) → [..., N], reading the packed
 * codes and absmax directly: GEMV for one row, tiled GEMM otherwise. Differentiable in x; a
 * double-quantized absmax is decoded to f32 per call (as bitsandbytes does), never the weight.
 */
export function matmul4(x: T.Tensor, w: QuantizedWeight, options: Matmul4Options = {}): T.Tensor {
  const compute = checkOneOf('matmul4', 'options.compute', options.compute ?? 'f32', ['f32', 'f16'] as const);
  if (!(x instanceof T.Tensor)) throw new QuantError(`matmul4: x must be a tensor, got ${show(x)}`);
  if (!(w instanceof QuantizedWeight))
    throw new QuantError(
      `matmul4: w must be a QuantizedWeight (quantizeTensor or QuantizedWeight.upload), got ${show(w)}`,
    );
  if (w.shape.length !== 2)
    throw new QuantError(`matmul4: the weight must be 2-D [out, in], got shape [${w.shape.join(', ')}]`);
  const [n, k] = w.shape;
  if (x.dtype !== 'f32') throw new QuantError(`matmul4: x must be f32, got ${x.dtype}`);
  if (x.rank < 1 || x.shape[x.rank - 1] !== k)
    throw new QuantError(
      `matmul4: x [${x.shape.join(', ')}] does not fit a weight [${n}, ${k}] (x's last dim must be ${k})`,
    );
  if (x.backend !== w.backend)
    throw new QuantError(`matmul4: x is on ${x.backend.name}, the weight on ${w.backend.name}`);
  if (compute === 'f16' && x.backend.name === 'webgpu') {
    const ctx = (x.backend as unknown as { ctx: { hasF16: boolean; adapterDescription: string } }).ctx;
    if (!ctx.hasF16)
      throw new QuantError(
        `matmul4: f16 needs the adapter feature shader-f16, which ${ctx.adapterDescription} lacks`,
      );
  }
  const rows = x.size / k;
  const flat = T.reshape(T.contiguous(x), [rows, k]);
  const y = matmul4Op([flat, w.codes, w.blockAbsmax()], {
    n,
    k,
    blockSize: w.blockSize,
    book: codeBook(w.type),
    trans: false,
    f16: compute === 'f16',
  });
  return T.reshape(y, [...x.shape.slice(0, -1), n]);
}
