import { backendOf, viewOf } from './apply.js';
import { isGradEnabled } from './autograd.js';
import type { TypedArray } from './dtype.js';
import type { OutSpec, View } from './opset.js';
import type { NonDifferentiable } from './rules/types.js';
import { contiguousStrides } from './shape.js';
import { Storage } from './storage.js';
import { type GradCtxOf, Tensor } from './tensor.js';
import type { WasmKernelRuntime } from './wasm/kernel-runtime.js';
import type { Gpu } from './webgpu/gpu.js';

/** An extension op's kernel on each backend. Each returns a new contiguous buffer of `out`'s shape and dtype. */
export interface ExtensionKernels<P> {
  /** The CPU reference: plain loops over the inputs' host arrays (read through each view's strides and offset). */
  cpu(out: OutSpec, inputs: View<TypedArray>[], params: P): TypedArray;
  /** The WebGPU kernel, launched through `gpu` (output allocation, pipeline cache, parameter block). */
  webgpu(gpu: Gpu, out: OutSpec, inputs: View<GPUBuffer>[], params: P): GPUBuffer;
  /**
   * The kernel on the WebAssembly backend, over its memory, threads and routines (`rt`); the inputs
   * are host arrays, as for `cpu`. Without it that backend runs `cpu`.
   */
  wasm?(rt: WasmKernelRuntime, out: OutSpec, inputs: View<TypedArray>[], params: P): TypedArray;
}

/**
 * An op defined outside @tessera/tensor (e.g. @tessera/quant's 4-bit matmul): the same three parts
 * as a built-in op — validation with the output's shape and dtype, a backward rule or why there is
 * none, and a kernel per backend — so it joins autograd, `tidy` and the memory counters like one.
 */
export interface ExtensionOp<P> {
  /** Names the op in errors and graph dumps, e.g. `quant/matmul4`. */
  readonly name: string;
  /** Validates the inputs (errors name the argument, expected and actual) and gives the output's shape and dtype. */
  infer(inputs: readonly Tensor[], params: P): OutSpec;
  /** Gradient of the loss for each input given `g`, the output's gradient; or why there is none. */
  grad: ((g: Tensor, ctx: GradCtxOf<P>) => (Tensor | null)[]) | NonDifferentiable;
  kernels: ExtensionKernels<P>;
}

/**
 * Registers an extension op and returns the function that runs it. Nothing is allocated before
 * `infer` passes; the backend counts the output buffer like any kernel's.
 */
export function defineOp<P>(op: ExtensionOp<P>): (inputs: readonly Tensor[], params: P) => Tensor {
  return (inputs, params) => {
    const b = backendOf(op.name, inputs);
    const spec = op.infer(inputs, params);
    const handle = b.extension(op.kernels as ExtensionKernels<unknown>, spec, inputs.map(viewOf), params);
    const out = new Tensor(new Storage(b, handle), spec.shape, contiguousStrides(spec.shape), 0, spec.dtype);
    if (isGradEnabled() && typeof op.grad === 'function' && inputs.some((t) => t.requiresGrad)) {
      out.requiresGrad = true;
      out.node = {
        op: op.name,
        inputs: [...inputs],
        params,
        grad: op.grad as (g: Tensor, ctx: GradCtxOf<unknown>) => (Tensor | null)[],
      };
    }
    return out;
  };
}
