import { type GpuContext, GpuKernelError } from '@tessera/gpu';
import type { DType } from '../dtype.js';
import { IndexError } from '../errors.js';
import type { OutSpec } from '../opset.js';
import { numel } from '../shape.js';
import { paramsDecl } from './codegen.js';

/** What a kernel launch needs: a pipeline key, its WGSL, its buffers and parameter words, and how many invocations. */
export interface Launch {
  /** Cache key: kernel name plus every specialization that changes the WGSL. */
  key: string;
  /** Label errors name, e.g. `tensor/elementwise:add`. */
  label: string;
  /** WGSL source, built on a cache miss. The parameter block binds after `buffers`. */
  source: () => string;
  buffers: GPUBuffer[];
  words: number[];
  /** Workgroups to dispatch (linearised; split into a 2-D grid when over the per-dimension limit). */
  workgroups: number;
}

/**
 * Kernel-launch helpers shared by every WebGPU op group: output allocation, the parameter block,
 * workgroup sizing from the adapter's limits, and the fault word that index kernels set when an
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

  /** WGSL declaring the parameter block at `binding`, sized for `words`. */
  params(binding: number, words: number[]): string {
    return paramsDecl(binding, words.length);
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

  /** Compiles (once) and dispatches. Zero workgroups dispatch nothing. */
  launch(l: Launch): void {
    if (l.workgroups <= 0) return;
    const kernel = this.ctx.kernel(`${l.key}|p${Math.ceil(l.words.length / 4)}`, l.label, l.source);
    const grid = this.ctx.grid(l.workgroups);
    this.ctx.dispatch(kernel, [...l.buffers, this.ctx.uniform(l.words.length ? l.words : [0])], grid);
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
