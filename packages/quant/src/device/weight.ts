import * as T from '@tessera/tensor';
import { checkBlock, type DoubleQuantized, QuantError, type Quantized4 } from '../blockwise.js';
import { codeBook, DYNAMIC_CODE, encoder, type FourBitType } from '../codebooks.js';
import { wordBytes } from './kernels-cpu.js';
import { blockAbsmaxOp, decodeOp, encodeOp } from './ops.js';

/** Double-quantized absmax on a backend: 8-bit dynamic codes (4 per u32 word), one f32 scale per 256 blocks, one offset. */
export interface NestedAbsmax {
  codes: T.Tensor;
  absmax: T.Tensor;
  offset: number;
}

/** Options of {@link quantizeTensor}. */
export interface QuantizeOptions {
  /** Default `nf4`. */
  type?: FourBitType;
  /** A power of two from 32 to 4096; default 64. */
  blockSize?: number;
  /** Quantize the absmax values too (bitsandbytes' `compress_statistics`); default true. */
  doubleQuant?: boolean;
}

const NESTED_BLOCK = 256;

const words = (bytes: Uint8Array): Uint32Array => {
  const w = new Uint32Array(Math.ceil(bytes.length / 4));
  wordBytes(w).set(bytes);
  return w;
};

/**
 * A 4-bit blockwise-quantized weight held on a backend: the packed codes as u32 words (the bytes
 * bitsandbytes writes, little-endian), the f32 absmax per block or its double quantization. This is
 * all the memory a frozen base weight takes; {@link matmul4} reads it directly.
 */
export class QuantizedWeight {
  private constructor(
    readonly type: FourBitType,
    readonly blockSize: number,
    readonly shape: readonly number[],
    readonly codes: T.Tensor,
    readonly absmax: T.Tensor | null,
    readonly nested: NestedAbsmax | null,
  ) {}

  /** Elements of the weight. */
  get size(): number {
    return this.shape.reduce((a, b) => a * b, 1);
  }

  /** The backend holding it. */
  get backend(): T.Backend {
    return this.codes.backend;
  }

  /** Bytes of backend memory it holds (u32 words; the CPU and WebGPU layouts are the same). */
  get bytes(): number {
    const parts = [this.codes, this.absmax, this.nested?.codes, this.nested?.absmax];
    return parts.reduce((s, t) => s + (t ? t.size * 4 : 0), 0);
  }

  /** Moves a host-side {@link Quantized4} onto `backend`. */
  static upload(q: Quantized4, backend: T.Backend = T.getBackend()): QuantizedWeight {
    const opts = { backend };
    const codes = T.tensor(words(q.packed), { ...opts, dtype: 'u32' });
    if (q.absmax)
      return new QuantizedWeight(q.type, q.blockSize, [...q.shape], codes, T.tensor(q.absmax, opts), null);
    if (!q.nested)
      throw new QuantError('QuantizedWeight.upload: the tensor has neither absmax nor nested absmax');
    const nested = {
      codes: T.tensor(words(q.nested.inner.codes), { ...opts, dtype: 'u32' }),
      absmax: T.tensor(q.nested.inner.absmax, opts),
      offset: q.nested.offset,
    };
    return new QuantizedWeight(q.type, q.blockSize, [...q.shape], codes, null, nested);
  }

  /** @internal */
  static of(
    type: FourBitType,
    blockSize: number,
    shape: readonly number[],
    codes: T.Tensor,
    absmax: T.Tensor | null,
    nested: NestedAbsmax | null,
  ): QuantizedWeight {
    for (const t of [codes, absmax, nested?.codes, nested?.absmax]) if (t) T.keep(t);
    return new QuantizedWeight(type, blockSize, shape, codes, absmax, nested);
  }

  /** Reads it back into the host layout (bitsandbytes' bytes). */
  async download(): Promise<Quantized4> {
    const n = this.size;
    const packed = wordBytes((await this.codes.data()) as Uint32Array).slice(0, Math.ceil(n / 2));
    const base = { type: this.type, blockSize: this.blockSize, shape: [...this.shape], packed };
    if (this.absmax) return { ...base, absmax: (await this.absmax.data()) as Float32Array };
    const nested = this.nested!;
    const blocks = Math.ceil(n / this.blockSize);
    const dq: DoubleQuantized = {
      offset: nested.offset,
      inner: {
        blockSize: NESTED_BLOCK,
        code: 'dynamic',
        codes: wordBytes((await nested.codes.data()) as Uint32Array).slice(0, blocks),
        absmax: (await nested.absmax.data()) as Float32Array,
      },
    };
    return { ...base, nested: dq };
  }

  /** The f32 absmax per block (the tensor itself, or decoded from the double quantization: a new tensor). */
  blockAbsmax(): T.Tensor {
    if (this.absmax) return this.absmax;
    const n = this.nested!;
    const blocks = Math.ceil(this.size / this.blockSize);
    return decodeOp([n.codes, n.absmax], {
      shape: [blocks],
      blockSize: NESTED_BLOCK,
      book: DYNAMIC_CODE,
      bits: 8,
      offset: n.offset,
    });
  }

  /** The weight in f32 (a new tensor of its shape). */
  dequantize(): T.Tensor {
    return T.tidy(() =>
      decodeOp([this.codes, this.blockAbsmax()], {
        shape: [...this.shape],
        blockSize: this.blockSize,
        book: codeBook(this.type),
        bits: 4,
        offset: 0,
      }),
    );
  }

  /** Frees its tensors. */
  dispose(): void {
    for (const t of [this.codes, this.absmax, this.nested?.codes, this.nested?.absmax]) t?.dispose();
  }
}

async function checkedAbsmax(
  what: string,
  x: T.Tensor,
  blockSize: number,
): Promise<[T.Tensor, Float32Array]> {
  const absmax = blockAbsmaxOp([x], { blockSize });
  const host = (await absmax.data()) as Float32Array;
  const bad = host.indexOf(-1);
  if (bad >= 0) {
    const part = T.narrow(x, 0, bad * blockSize, Math.min(blockSize, x.size - bad * blockSize));
    const block = (await part.data()) as Float32Array;
    part.dispose();
    const i = block.findIndex((v) => !Number.isFinite(v));
    absmax.dispose();
    throw new QuantError(
      `${what}: element ${bad * blockSize + i} is ${block[i]}; only finite weights can be quantized`,
    );
  }
  return [absmax, host];
}

/**
 * Quantizes an f32 tensor on its own backend (the WebGPU kernels or the CPU reference give the
 * same bytes): blockwise absmax, codes packed as bitsandbytes does, and — by default — double
 * quantization of the absmax (mean-subtracted, dynamic 8-bit, blocks of 256). NaN or ±Inf elements
 * are refused with an error naming the first one.
 */
export async function quantizeTensor(x: T.Tensor, options: QuantizeOptions = {}): Promise<QuantizedWeight> {
  const type = options.type ?? 'nf4';
  const blockSize = options.blockSize ?? 64;
  checkBlock('quantizeTensor', blockSize);
  if (!(type in { nf4: 1, fp4: 1, int4: 1 }))
    throw new QuantError(`quantizeTensor: type must be 'nf4', 'fp4' or 'int4', got '${type}'`);
  if (x.dtype !== 'f32') throw new QuantError(`quantizeTensor: x must be f32, got ${x.dtype}`);
  const dense = T.contiguous(x);
  const flat = T.reshape(dense, [x.size]);
  try {
    const [absmax, host] = await checkedAbsmax('quantizeTensor', flat, blockSize);
    const codes = encodeOp([flat, absmax], { blockSize, encoder: encoder(type), bits: 4 });
    if (options.doubleQuant === false)
      return QuantizedWeight.of(type, blockSize, x.shape, codes, absmax, null);
    // The mean is taken on the host, in the CPU reference's order, so every backend gets the same bytes.
    let sum = 0;
    for (const a of host) sum += a;
    const offset = Math.fround(sum / Math.max(host.length, 1));
    const nested = T.tidy(() => {
      const centered = T.sub(absmax, offset);
      const scale = blockAbsmaxOp([centered], { blockSize: NESTED_BLOCK });
      return {
        codes: encodeOp([centered, scale], {
          blockSize: NESTED_BLOCK,
          encoder: encoder('dynamic8'),
          bits: 8,
        }),
        absmax: scale,
      };
    });
    absmax.dispose();
    return QuantizedWeight.of(type, blockSize, x.shape, codes, null, { ...nested, offset });
  } finally {
    if (flat !== x) flat.dispose();
    if (dense !== x) dense.dispose();
  }
}
