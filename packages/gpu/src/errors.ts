/** Base class of every error raised by `@tessera/gpu`. */
export class GpuError extends Error {
  override name = 'GpuError';
}

/** No WebGPU adapter could be found (and one was required). */
export class GpuUnavailableError extends GpuError {
  override name = 'GpuUnavailableError';
}

/** A WebGPU validation or out-of-memory error, traced back to the kernel that caused it. */
export class GpuKernelError extends GpuError {
  override name = 'GpuKernelError';
  constructor(
    /** Label of the kernel (or buffer) whose creation or dispatch failed. */
    readonly kernel: string,
    /** `validation`, `out-of-memory` or `internal`, as WebGPU reports it. */
    readonly kind: string,
    message: string,
  ) {
    super(`WebGPU ${kind} error in kernel '${kernel}': ${message}`);
  }
}

/** The device was lost (driver reset, `destroy()`, tab in background…); every later call fails with this. */
export class GpuDeviceLostError extends GpuError {
  override name = 'GpuDeviceLostError';
  constructor(
    readonly reason: string,
    detail: string,
  ) {
    super(
      `WebGPU device lost (reason: ${reason}): ${detail || 'no detail given'}. Create a new context to continue.`,
    );
  }
}
