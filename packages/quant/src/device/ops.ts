import {
  quant_absmax,
  quant_decode,
  quant_encode,
  quant_gemv4,
  quant_matmul4,
  quant_packing,
} from '@tessera/kernels';
import * as T from '@tessera/tensor';
import { QuantError } from '../checks.js';
import { bucket, type Encoder } from '../codebooks.js';
import { ABSMAX_FLOOR } from '../encode.js';
import { orderKey } from '../f32.js';
import { absmaxCpu, decodeCpu, encodeCpu, matmul4Cpu, wordBytes } from './kernels-cpu.js';
import { decodeWasm, matmul4Wasm } from './kernels-wasm.js';

const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const f32Words = (a: ArrayLike<number>) => Array.from(a, T.f32Bits);
/** packing.wgsl for codes of `bits` bits, for the {{PACKING}} slot of the kernels. */
const packing = (bits: 4 | 8) => T.fill(quant_packing, { BITS: bits });

const CONSTANTS = 'quantization constants of a frozen weight have no gradient';

/**
 * Per-block absmax of a contiguous tensor's elements, as bitsandbytes stores it (a shorter last
 * block's at least 1e-38); −1 marks a block holding NaN or ±Inf.
 */
export const blockAbsmaxOp = T.defineOp<{ blockSize: number }>({
  name: 'quant/block_absmax',
  infer: ([x], { blockSize }) => ({ shape: [Math.ceil(x.size / blockSize)], dtype: 'f32' }),
  grad: { nondifferentiable: CONSTANTS },
  kernels: {
    cpu: (_out, [x], { blockSize }) => absmaxCpu(x.handle, x.offset, numel(x.shape), blockSize),
    webgpu(gpu, out, [x], { blockSize }) {
      const blocks = out.shape[0];
      const words = [numel(x.shape), blockSize, x.offset, blocks];
      const wg = Math.min(64, gpu.wg);
      const buf = gpu.alloc(out);
      gpu.launch({
        key: `quant/absmax:${wg}`,
        label: 'quant/absmax',
        source: () =>
          T.fill(quant_absmax, { PARAMS: gpu.params(2, words), WG: wg, FLOOR: T.f32Bits(ABSMAX_FLOOR) }),
        buffers: [x.handle, buf],
        words,
        workgroups: blocks,
      });
      return buf;
    },
  },
});

/** Parameters of {@link encodeOp}. */
export interface EncodeParams {
  blockSize: number;
  encoder: Encoder;
}

/**
 * The 4-bit codes of x, packed into u32 words (the packed byte array, pad nibble included), from its
 * per-block absmax (from {@link blockAbsmaxOp}) and their reciprocals f32(1 / max(absmax, 1e-38)),
 * byte for byte as bitsandbytes' reference quantizer (see `encode.ts`).
 */
export const encodeOp = T.defineOp<EncodeParams>({
  name: 'quant/encode',
  infer: ([x]) => ({ shape: [Math.ceil(x.size / 8)], dtype: 'u32' }),
  grad: { nondifferentiable: 'codes are integers' },
  kernels: {
    cpu: (_out, [x, a], p) =>
      encodeCpu(x.handle, x.offset, numel(x.shape), a.handle, a.offset, p.blockSize, p.encoder),
    webgpu(gpu, out, [x, a, r], { blockSize, encoder }) {
      const n = numel(x.shape);
      const nw = out.shape[0];
      const shortFrom = n - (n % blockSize);
      const keys = Array.from(encoder.bounds, (b) => orderKey(T.f32Bits(b)));
      const words = [n, blockSize, x.offset, a.offset, r.offset, nw, shortFrom, bucket(encoder, 0)];
      words.push(...keys, ...encoder.codes);
      const buf = gpu.alloc(out);
      gpu.launch({
        key: `quant/encode:${encoder.bounds.length}`,
        label: 'quant/encode',
        source: () =>
          T.fill(quant_encode, {
            PARAMS: gpu.params(4, words),
            WG: gpu.wg,
            NB: encoder.bounds.length,
            PACKING: packing(4),
          }),
        buffers: [x.handle, a.handle, r.handle, buf],
        words,
        workgroups: Math.ceil(nw / gpu.wg),
      });
      return buf;
    },
  },
});

/** Parameters of {@link decodeOp}. */
export interface DecodeParams {
  shape: number[];
  blockSize: number;
  book: Float32Array;
  bits: 4 | 8;
  /** Added to every value (double quantization's mean absmax; 0 otherwise). */
  offset: number;
}

const decodeCpuKernel = ([c, a]: T.View<T.TypedArray>[], p: DecodeParams) =>
  decodeCpu(
    wordBytes(c.handle as Uint32Array, c.offset),
    numel(p.shape),
    a.handle,
    a.offset,
    p.blockSize,
    p.book,
    p.bits,
    p.offset,
  );

/** Code value × block absmax (+ offset), from packed codes: dequantization to f32. */
export const decodeOp = T.defineOp<DecodeParams>({
  name: 'quant/decode',
  infer: (_inputs, { shape }) => ({ shape, dtype: 'f32' }),
  grad: { nondifferentiable: CONSTANTS },
  kernels: {
    cpu: (_out, inputs, p) => decodeCpuKernel(inputs, p),
    wasm: (rt, _out, inputs, p) => decodeWasm(rt, inputs, p, () => decodeCpuKernel(inputs, p)),
    webgpu(gpu, out, [c, a], { shape, blockSize, book, bits, offset }) {
      const n = numel(shape);
      const nw = Math.ceil((n * bits) / 32);
      const words = [n, blockSize, c.offset, a.offset, nw, T.f32Bits(offset), ...f32Words(book)];
      const buf = gpu.alloc(out);
      gpu.launch({
        key: `quant/decode:${bits}`,
        label: 'quant/decode',
        source: () =>
          T.fill(quant_decode, { PARAMS: gpu.params(3, words), WG: gpu.wg, PACKING: packing(bits) }),
        buffers: [c.handle, a.handle, buf],
        words,
        workgroups: Math.ceil(nw / gpu.wg),
      });
      return buf;
    },
  },
});

/** Parameters of {@link matmul4Op}: the weight W [n, k] and which product. */
export interface Matmul4Params {
  n: number;
  k: number;
  blockSize: number;
  book: Float32Array;
  /** false: x [M, k] · Wᵀ → [M, n]; true: g [M, n] · W → [M, k] (the input gradient). */
  trans: boolean;
  /** Half-precision tiles and products on WebGPU (needs shader-f16); the CPU reference stays f32. */
  f16?: boolean;
}

/** The WGSL specialisation of the element type T. */
const precision = (f16: boolean | undefined) =>
  f16 ? { ENABLE: 'enable f16;', T: 'f16' } : { ENABLE: '', T: 'f32' };

const GEMV_WG = 64;

/** Loop iterations gemv4.wgsl runs per stride of its workgroup over K: one, or nine over 8-code words. */
const gemvLoopsPerStride = (aligned: number) => (aligned ? 9 : 1);
/** Loop iterations matmul4.wgsl runs per 32-wide step of R: staging (16), then 32 × (4 + 4 × (4 + 1)), the step. */
const MATMUL4_LOOPS_PER_STEP = 16 + 32 * (4 + 4 * 5) + 1;

function launchMatmul4(
  gpu: T.Gpu,
  out: T.OutSpec,
  [x, c, a]: T.View<GPUBuffer>[],
  p: Matmul4Params,
): GPUBuffer {
  const [M, P] = out.shape;
  const R = p.trans ? p.n : p.k;
  if (p.f16 && !gpu.ctx.hasF16)
    throw new QuantError(
      `matmul4: f16 needs the adapter feature shader-f16, which ${gpu.ctx.adapterDescription} lacks`,
    );
  const buf = gpu.alloc(out);
  const f = p.f16 ? 'h' : 's';
  const book = f32Words(p.book);
  if (M === 1 && !p.trans) {
    const wg = Math.min(GEMV_WG, gpu.wg);
    const aligned = p.k % 8 === 0 ? 1 : 0;
    // A K past the adapter's loop budget is summed in slices of whole strides (8-code aligned).
    const stride = wg * (aligned ? 8 : 1);
    const kStep =
      stride * gpu.stepsPerDispatch('quant/gemv4', gemvLoopsPerStride(aligned), Math.log2(wg) + 4);
    for (const [k0, k1] of T.chunks(p.k, kStep)) {
      const words = [p.n, p.k, p.blockSize, x.offset, c.offset, a.offset, ...book, k0, k1, k0 > 0 ? 1 : 0];
      gpu.launch({
        key: `quant/gemv4:${aligned}:${wg}:${f}`,
        label: 'quant/gemv4',
        source: () =>
          T.fill(quant_gemv4, {
            PARAMS: gpu.params(4, words),
            WG: wg,
            ALIGNED: aligned,
            PACKING: packing(4),
            ...precision(p.f16),
          }),
        buffers: [x.handle, c.handle, a.handle, buf],
        words,
        workgroups: p.n,
      });
    }
    return buf;
  }
  const tilesP = Math.ceil(P / 32);
  // An R past the adapter's loop budget is summed in slices of whole 32-wide steps.
  const rStep = 32 * gpu.stepsPerDispatch('quant/matmul4', MATMUL4_LOOPS_PER_STEP, 24);
  for (const [r0, r1] of T.chunks(R, rStep)) {
    const words = [
      M,
      P,
      R,
      p.k,
      p.blockSize,
      x.offset,
      c.offset,
      a.offset,
      tilesP,
      ...book,
      r0,
      r1,
      r0 > 0 ? 1 : 0,
    ];
    gpu.launch({
      key: `quant/matmul4:${p.trans ? 1 : 0}:${f}`,
      label: 'quant/matmul4',
      source: () =>
        T.fill(quant_matmul4, {
          PARAMS: gpu.params(4, words),
          TRANS: p.trans ? 1 : 0,
          PACKING: packing(4),
          ...precision(p.f16),
        }),
      buffers: [x.handle, c.handle, a.handle, buf],
      words,
      workgroups: M && P ? Math.ceil(M / 32) * tilesP : 0,
    });
  }
  return buf;
}

function matmul4CpuKernel([x, c, a]: T.View<T.TypedArray>[], p: Matmul4Params): Float32Array {
  const ref = {
    bytes: wordBytes(c.handle as Uint32Array, c.offset),
    absmax: a.handle,
    absOffset: a.offset,
    blockSize: p.blockSize,
    book: p.book,
    n: p.n,
    k: p.k,
  };
  return matmul4Cpu(x.handle, x.offset, x.shape[0], ref, p.trans);
}

/**
 * The fused 4-bit matmul over a contiguous 2-D x, the packed codes (u32 words) and the f32 absmax:
 * GEMV for one row, tiled GEMM otherwise. Differentiable in x (the frozen base passes gradients
 * through to LoRA adapters and earlier layers); the codes and absmax are constants.
 */
export const matmul4Op: (inputs: readonly T.Tensor[], params: Matmul4Params) => T.Tensor =
  T.defineOp<Matmul4Params>({
    name: 'quant/matmul4',
    infer: ([x], p) => ({ shape: [x.shape[0], p.trans ? p.k : p.n], dtype: 'f32' }),
    grad: (g, { inputs: [, c, a], params, needs }) => [
      needs[0] ? matmul4Op([T.contiguous(g), c, a], { ...params, trans: !params.trans }) : null,
      null,
      null,
    ],
    kernels: {
      cpu: (_out, inputs, p) => matmul4CpuKernel(inputs, p),
      webgpu: launchMatmul4,
      wasm: (rt, _out, inputs, p) => matmul4Wasm(rt, inputs, p, () => matmul4CpuKernel(inputs, p)),
    },
  });
