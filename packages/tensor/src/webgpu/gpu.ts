import {
  type GpuContext,
  GpuKernelError,
  type KernelSource,
  type ParamSchema,
  type ParamValues,
} from '@tessera/gpu';
import type { DType } from '../dtype.js';
import { IndexError } from '../errors.js';
import type { OutSpec } from '../opset.js';
import { numel } from '../shape.js';

/** One dispatch of a kernel specialization: its buffers, its parameter values and how many workgroups. */
export interface Dispatch<S extends ParamSchema> {
  /**
   * The specialization (from a `specialize`d builder): its WGSL, which is also the pipeline-cache
   * key, and the parameter block it declares, bound after `buffers`.
   */
  kernel: KernelSource<S>;
  /** Label errors name, e.g. `tensor/gather:index_select`. */
  label: string;
  buffers: GPUBuffer[];
  /** The values of exactly the fields of the kernel's parameter block. */
  params: NoInfer<ParamValues<S>>;
  /** Workgroups to dispatch (linearised; split into a 2-D grid when over the per-dimension limit). */
  workgroups: number;
}

/**
 * Kernel-launch helpers shared by every WebGPU op group (and extension ops): output allocation,
 * dispatch of a kernel specialization with its packed parameter block, workgroup sizing from the
 * adapter's limits, and the fault word that index kernels set when an
 * index is out of range (checked at the next read, like a CUDA device-side assert).
 */
export class Gpu {
  /** Threads per workgroup for 1-D kernels: 256, or the adapter's maximum when lower. */
  readonly wg: number;
  private fault: GPUBuffer | undefined;
  private faultArmed = false;

  constructor(readonly ctx: GpuContext) {
    this.wg = Math.min(
      256,
      ctx.limits.maxComputeInvocationsPerWorkgroup,
      ctx.limits.maxComputeWorkgroupSizeX,
    );
  }

  /** A new buffer for a kernel's output. */
  alloc(out: OutSpec): GPUBuffer {
    return this.ctx.createBuffer(Math.max(4, numel(out.shape) * 4));
  }

  /**
   * How many steps of a kernel's main loop one dispatch may run per invocation within the adapter's
   * loop budget ({@link GpuContext.loopBudget}; `Infinity` on adapters without a loop limiter).
   * `perStep` counts every loop iteration one step costs and `fixed` those the kernel runs anyway,
   * both as if no loop were unrolled, so the bound holds whatever the shader compiler does.
   */
  stepsPerDispatch(label: string, perStep: number, fixed = 0): number {
    const budget = this.ctx.loopBudget;
    if (budget === Number.POSITIVE_INFINITY) return budget;
    const steps = Math.floor((budget - fixed) / perStep);
    if (steps < 1) {
      throw new GpuKernelError(
        label,
        'validation',
        `one step needs ${perStep + fixed} loop iterations, the adapter allows ${budget} per invocation`,
      );
    }
    return steps;
  }

  /**
   * Dispatches one specialization of a kernel with these parameter values: compiled on first use
   * (the pipeline cache is keyed by its WGSL), the parameter block packed and bound after the
   * buffers. Zero workgroups dispatch nothing.
   */
  dispatch<S extends ParamSchema>(d: Dispatch<S>): void {
    if (d.workgroups <= 0) return;
    const kernel = this.ctx.kernel(d.label, d.kernel.code);
    const uniform = this.ctx.uniform(d.kernel.params.pack(d.params as never));
    this.ctx.dispatch(kernel, [...d.buffers, uniform], this.ctx.grid(d.workgroups), d.label);
  }

  /**
   * The fault buffer to bind in kernels that validate indices: word 0 is set to 1 with
   * `atomicMax`, word 1 holds the offending index, word 2 the dimension size. Arms the check.
   */
  faultBuffer(): GPUBuffer {
    if (!this.fault) {
      this.fault = this.ctx.createBuffer(16);
      this.ctx.write(this.fault, new Uint32Array(4));
    }
    this.faultArmed = true;
    return this.fault;
  }

  /** Throws (and clears) a pending index fault. Called before every read. */
  async checkFault(): Promise<void> {
    if (!this.faultArmed || !this.fault) return;
    this.faultArmed = false;
    const words = new Uint32Array(await this.ctx.read(this.fault, 16));
    if (words[0] !== 0) {
      this.ctx.write(this.fault, new Uint32Array(4));
      throw new IndexError(
        `index out of range in a WebGPU index kernel: index ${words[1] | 0} for a dimension of size ${words[2]} (reported at this read; the op ran earlier)`,
      );
    }
  }
}

/** Host array → the 32-bit words stored on the GPU. */
export function toWords(data: ArrayBufferView, dtype: DType): Uint32Array | Float32Array | Int32Array {
  if (dtype === 'u8') return Uint32Array.from(data as Uint8Array);
  return data as Uint32Array | Float32Array | Int32Array;
}

/** `[begin, end)` ranges of at most `size` covering `[0, total)`; one empty range when `total` is 0. */
export function chunks(total: number, size: number): [number, number][] {
  if (total <= size) return [[0, total]];
  const out: [number, number][] = [];
  for (let b = 0; b < total; b += size) out.push([b, Math.min(total, b + size)]);
  return out;
}
