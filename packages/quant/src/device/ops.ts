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
/** packing.wgsl for codes of `bits` bits, for the {{PACKING}} slot of the kernels. */
const packing = (bits: 4 | 8) => T.fill(quant_packing, { BITS: bits });

const absmaxKernel = T.specialize(({ wg }: { wg: number }) => {
  const params = T.paramBlock({ n: 'u32', block: 'u32', x_offset: 'u32', blocks: 'u32' });
  return {
    code: T.fill(quant_absmax, { PARAMS: params.wgsl(2), WG: wg, FLOOR: T.f32Bits(ABSMAX_FLOOR) }),
    params,
  };
});

/** The encoder kernel for `bounds` code boundaries. */
const encodeKernel = T.specialize(({ bounds, wg }: { bounds: number; wg: number }) => {
  const params = T.paramBlock({
    n: 'u32',
    block: 'u32',
    x_offset: 'u32',
    absmax_offset: 'u32',
    recip_offset: 'u32',
    words: 'u32',
    short_from: 'u32',
    zero_code: 'u32',
    bounds: ['u32', bounds],
    codes: ['u32', bounds + 1],
  });
  return {
    code: T.fill(quant_encode, { PARAMS: params.wgsl(4), WG: wg, NB: bounds, PACKING: packing(4) }),
    params,
  };
});

const decodeKernel = T.specialize(({ bits, wg }: { bits: 4 | 8; wg: number }) => {
  const params = T.paramBlock({
    n: 'u32',
    block: 'u32',
    codes_offset: 'u32',
    absmax_offset: 'u32',
    words: 'u32',
    shift: 'f32',
    book: ['f32', 2 ** bits],
  });
  return { code: T.fill(quant_decode, { PARAMS: params.wgsl(3), WG: wg, PACKING: packing(bits) }), params };
});

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
      const buf = gpu.alloc(out);
      gpu.dispatch({
        kernel: absmaxKernel({ wg: Math.min(64, gpu.wg) }),
        label: 'quant/absmax',
        buffers: [x.handle, buf],
        params: { n: numel(x.shape), block: blockSize, x_offset: x.offset, blocks },
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
      const buf = gpu.alloc(out);
      gpu.dispatch({
        kernel: encodeKernel({ bounds: encoder.bounds.length, wg: gpu.wg }),
        label: 'quant/encode',
        buffers: [x.handle, a.handle, r.handle, buf],
        params: {
          n,
          block: blockSize,
          x_offset: x.offset,
          absmax_offset: a.offset,
          recip_offset: r.offset,
          words: nw,
          short_from: shortFrom,
          zero_code: bucket(encoder, 0),
          bounds: Array.from(encoder.bounds, (b) => orderKey(T.f32Bits(b))),
          codes: encoder.codes,
        },
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
      const buf = gpu.alloc(out);
      gpu.dispatch({
        kernel: decodeKernel({ bits, wg: gpu.wg }),
        label: 'quant/decode',
        buffers: [c.handle, a.handle, buf],
        params: {
          n,
          block: blockSize,
          codes_offset: c.offset,
          absmax_offset: a.offset,
          words: nw,
          shift: offset,
          book,
        },
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
const precision = (f16: boolean) => (f16 ? { ENABLE: 'enable f16;', T: 'f16' } : { ENABLE: '', T: 'f32' });

/** The 16 code values of a 4-bit codebook. */
const BOOK4 = ['f32', 16] as const;

/** The fused 4-bit GEMV, rows starting on a packed word (`aligned`) or not. */
const gemv4Kernel = T.specialize(({ aligned, wg, f16 }: { aligned: boolean; wg: number; f16: boolean }) => {
  const params = T.paramBlock({
    N: 'u32',
    K: 'u32',
    block: 'u32',
    x_offset: 'u32',
    codes_offset: 'u32',
    absmax_offset: 'u32',
    book: BOOK4,
    k_begin: 'u32',
    k_end: 'u32',
    accumulate: 'u32',
  });
  const code = T.fill(quant_gemv4, {
    PARAMS: params.wgsl(4),
    WG: wg,
    ALIGNED: aligned ? 1 : 0,
    PACKING: packing(4),
    ...precision(f16),
  });
  return { code, params };
});

/** The fused tiled 4-bit GEMM, of x·Wᵀ or (`trans`) of g·W. */
const matmul4Kernel = T.specialize(({ trans, f16 }: { trans: boolean; f16: boolean }) => {
  const params = T.paramBlock({
    M: 'u32',
    P: 'u32',
    R: 'u32',
    K: 'u32',
    block: 'u32',
    x_offset: 'u32',
    codes_offset: 'u32',
    absmax_offset: 'u32',
    tiles_p: 'u32',
    book: BOOK4,
    r_begin: 'u32',
    r_end: 'u32',
    accumulate: 'u32',
  });
  const code = T.fill(quant_matmul4, {
    PARAMS: params.wgsl(4),
    TRANS: trans ? 1 : 0,
    PACKING: packing(4),
    ...precision(f16),
  });
  return { code, params };
});

const GEMV_WG = 64;

/** Loop iterations gemv4.wgsl runs per stride of its workgroup over K: one, or nine over 8-code words. */
const gemvLoopsPerStride = (aligned: boolean) => (aligned ? 9 : 1);
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
  const f16 = p.f16 === true;
  const operands = {
    block: p.blockSize,
    x_offset: x.offset,
    codes_offset: c.offset,
    absmax_offset: a.offset,
    book: p.book,
  };
  if (M === 1 && !p.trans) {
    const wg = Math.min(GEMV_WG, gpu.wg);
    const aligned = p.k % 8 === 0;
    // A K past the adapter's loop budget is summed in slices of whole strides (8-code aligned).
    const stride = wg * (aligned ? 8 : 1);
    const kStep =
      stride * gpu.stepsPerDispatch('quant/gemv4', gemvLoopsPerStride(aligned), Math.log2(wg) + 4);
    const kernel = gemv4Kernel({ aligned, wg, f16 });
    for (const [k0, k1] of T.chunks(p.k, kStep)) {
      gpu.dispatch({
        kernel,
        label: 'quant/gemv4',
        buffers: [x.handle, c.handle, a.handle, buf],
        params: { N: p.n, K: p.k, ...operands, k_begin: k0, k_end: k1, accumulate: k0 > 0 ? 1 : 0 },
        workgroups: p.n,
      });
    }
    return buf;
  }
  const tilesP = Math.ceil(P / 32);
  // An R past the adapter's loop budget is summed in slices of whole 32-wide steps.
  const rStep = 32 * gpu.stepsPerDispatch('quant/matmul4', MATMUL4_LOOPS_PER_STEP, 24);
  const kernel = matmul4Kernel({ trans: p.trans, f16 });
  for (const [r0, r1] of T.chunks(R, rStep)) {
    gpu.dispatch({
      kernel,
      label: 'quant/matmul4',
      buffers: [x.handle, c.handle, a.handle, buf],
      params: {
        M,
        P,
        R,
        K: p.k,
        ...operands,
        tiles_p: tilesP,
        r_begin: r0,
        r_end: r1,
        accumulate: r0 > 0 ? 1 : 0,
      },
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
