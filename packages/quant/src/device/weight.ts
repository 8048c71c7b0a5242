import * as T from '@tessera/tensor';
import { type DoubleQuantized, doubleQuantize, type Quantized4 } from '../blockwise.js';
import { checkBlock, checkOneOf, fail, show } from '../checks.js';
import { codeBook, DYNAMIC_CODE, encoder, FOUR_BIT_TYPES, type FourBitType } from '../codebooks.js';
import { reciprocalOf } from '../encode.js';
import { checkQuantized4 } from '../validate.js';
import { wordBytes } from './kernels-cpu.js';
import { blockAbsmaxOp, decodeOp, encodeOp } from './ops.js';

/**
 * Double-quantized absmax on a backend: 8-bit dynamic codes (4 per u32 word), one f32 scale per
 * `blockSize` (256) blocks, one offset, and the dynamic map's 256 values.
 */
export interface NestedAbsmax {
  codes: T.Tensor;
  absmax: T.Tensor;
  offset: number;
  blockSize: number;
  /** {@link DYNAMIC_CODE}, or the map a bitsandbytes checkpoint carries. */
  map: Float32Array;
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

  /** Moves a host-side {@link Quantized4} onto `backend` (its parts are checked against its shape first). */
  static upload(q: Quantized4, backend: T.Backend = T.getBackend()): QuantizedWeight {
    checkQuantized4('QuantizedWeight.upload', q);
    const b = backend as Partial<T.Backend> | null;
    if (
      typeof b !== 'object' ||
      b === null ||
      (b.name !== 'cpu' && b.name !== 'wasm' && b.name !== 'webgpu') ||
      typeof b.upload !== 'function'
    )
      fail(
        `QuantizedWeight.upload: backend must be a Tessera backend (cpu, wasm or webgpu), got ${show(backend)}`,
      );
    const opts = { backend };
    if (q.absmax) {
      const codes = T.tensor(words(q.packed), { ...opts, dtype: 'u32' });
      return new QuantizedWeight(q.type, q.blockSize, [...q.shape], codes, T.tensor(q.absmax, opts), null);
    }
    const { inner, offset } = q.nested!;
    if (inner.code !== 'dynamic')
      fail(
        `QuantizedWeight.upload: q.nested.inner.code must be 'dynamic' (bitsandbytes' map), got ${show(inner.code)}`,
      );
    const codes = T.tensor(words(q.packed), { ...opts, dtype: 'u32' });
    const nested = {
      codes: T.tensor(words(inner.codes), { ...opts, dtype: 'u32' }),
      absmax: T.tensor(inner.absmax, opts),
      offset,
      blockSize: inner.blockSize,
      map: inner.map ?? DYNAMIC_CODE,
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
        blockSize: nested.blockSize,
        code: 'dynamic',
        codes: wordBytes((await nested.codes.data()) as Uint32Array).slice(0, blocks),
        absmax: (await nested.absmax.data()) as Float32Array,
        ...(nested.map === DYNAMIC_CODE ? {} : { map: nested.map }),
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
      blockSize: n.blockSize,
      book: n.map,
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

/** {@link QuantizeOptions} with their defaults, checked. */
export function checkQuantizeOptions(what: string, options: QuantizeOptions): Required<QuantizeOptions> {
  if (typeof options !== 'object' || options === null)
    fail(`${what}: options must be an object, got ${show(options)}`);
  const type = checkOneOf(what, 'options.type', options.type ?? 'nf4', FOUR_BIT_TYPES);
  const blockSize = checkBlock(what, options.blockSize ?? 64, 'options.blockSize');
  const doubleQuant = options.doubleQuant ?? true;
  if (typeof doubleQuant !== 'boolean')
    fail(`${what}: options.doubleQuant must be true or false, got ${show(doubleQuant)}`);
  return { type, blockSize, doubleQuant };
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
    fail(`${what}: element ${bad * blockSize + i} is ${block[i]}; only finite weights can be quantized`);
  }
  return [absmax, host];
}

/**
 * Quantizes an f32 tensor on its own backend, byte for byte as {@link quantize4bit} (bitsandbytes'
 * reference quantizer), whichever the backend: the blockwise absmax and the codes are computed on the
 * backend (integer arithmetic in the WGSL kernels), the per-block values — reciprocals of the absmax
 * and, by default, double quantization (torch's float32 mean, dynamic 8-bit codes in blocks of 256) —
 * on the host from the absmax read back. NaN or ±Inf elements are refused with an error naming the
 * first one.
 */
export async function quantizeTensor(x: T.Tensor, options: QuantizeOptions = {}): Promise<QuantizedWeight> {
  const what = 'quantizeTensor';
  const { type, blockSize, doubleQuant } = checkQuantizeOptions(what, options);
  if (!(x instanceof T.Tensor)) fail(`${what}: x must be a tensor, got ${show(x)}`);
  if (x.dtype !== 'f32') fail(`${what}: x must be f32, got ${x.dtype}`);
  const dense = T.contiguous(x);
  const flat = T.reshape(dense, [x.size]);
  try {
    const [absmax, host] = await checkedAbsmax(what, flat, blockSize);
    const recip = T.tensor(Float32Array.from(host, reciprocalOf), { backend: x.backend });
    const codes = encodeOp([flat, absmax, recip], { blockSize, encoder: encoder(type) });
    recip.dispose();
    if (!doubleQuant) return QuantizedWeight.of(type, blockSize, x.shape, codes, absmax, null);
    absmax.dispose();
    const { offset, inner } = doubleQuantize(host);
    const nested: NestedAbsmax = {
      codes: T.tensor(words(inner.codes), { backend: x.backend, dtype: 'u32' }),
      absmax: T.tensor(inner.absmax, { backend: x.backend }),
      offset,
      blockSize: inner.blockSize,
      map: DYNAMIC_CODE,
    };
    return QuantizedWeight.of(type, blockSize, x.shape, codes, null, nested);
  } finally {
    if (flat !== x) flat.dispose();
    if (dense !== x) dense.dispose();
  }
}
