import { type AdapterOptions, describeAdapter, type FoundAdapter, findAdapter } from './adapter.js';
import { GpuDeviceLostError, type GpuError, GpuKernelError } from './errors.js';
import { measureLoopBudget } from './loop-budget.js';
import { BufferPool, sizeClass } from './pool.js';

/** Options of {@link GpuContext.create}. */
export interface GpuContextOptions extends AdapterOptions {
  /** Dispatches recorded before the command encoder is submitted on its own. Default 64. */
  maxBatch?: number;
  /** Idle bytes the buffer pool keeps before it destroys freed buffers. Default 1 GiB. */
  poolLimitBytes?: number;
  /**
   * Caps {@link GpuContext.loopBudget} below what the adapter allows, so that the kernels' split
   * dispatches can be exercised (and tested) on an adapter without a loop limiter.
   */
  loopBudget?: number;
}

/** A compiled compute kernel: its pipeline and the label errors name it by. */
export interface Kernel {
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
}

const STORAGE = 0x0080 | 0x0004 | 0x0008; // STORAGE | COPY_SRC | COPY_DST
const UNIFORM = 0x0040 | 0x0008; // UNIFORM | COPY_DST
const MAP_READ = 0x0001 | 0x0008; // MAP_READ | COPY_DST
const META_CACHE = 4096;

/**
 * One WebGPU device with what every Tessera kernel needs around it: pooled storage buffers with
 * a live-buffer count, a pipeline cache keyed by each kernel's WGSL, one command encoder per
 * batch of dispatches, async readback, and WebGPU errors turned into {@link GpuError}s that name
 * the kernel. All methods throw {@link GpuDeviceLostError} once the device is lost.
 */
export class GpuContext {
  /** Storage buffers handed out and not yet released. */
  liveBuffers = 0;
  /** Bytes of the buffers handed out by {@link createBuffer} and not released (size classes, so ≥ what was asked). */
  liveBytes = 0;
  /** The most {@link liveBytes} reached since the context opened or {@link resetPeakBytes}. */
  peakBytes = 0;
  /** Pipelines compiled so far (cache misses). */
  compiledPipelines = 0;
  /** Command buffers submitted so far. */
  submits = 0;
  /** Compute dispatches recorded so far (a kernel split to fit the adapter's limits counts each part). */
  dispatches = 0;

  private readonly pool: BufferPool;
  private readonly pipelines = new Map<string, Kernel>();
  private readonly meta = new Map<string, GPUBuffer>();
  private readonly stagingPool: BufferPool;
  private encoder: GPUCommandEncoder | undefined;
  private pass: GPUComputePassEncoder | undefined;
  private batchLabels: string[] = [];
  private destroyAfterSubmit: GPUBuffer[] = [];
  private pendingChecks: Promise<void>[] = [];
  private errors: GpuError[] = [];
  private lost: GpuDeviceLostError | undefined;

  private constructor(
    /** The WebGPU device. */
    readonly device: GPUDevice,
    /** The adapter it came from. */
    readonly found: FoundAdapter,
    private readonly maxBatch: number,
    poolLimitBytes: number,
    /**
     * Loop iterations one shader invocation may run, counted over all its loops together, before
     * the adapter cuts them short (`Infinity` when it never does). Measured when the device opens:
     * Mesa's llvmpipe allows 65,535 (see `loop-budget.ts`). Kernels whose loops grow with the data
     * split their work into dispatches that stay within it.
     */
    readonly loopBudget: number,
  ) {
    this.pool = new BufferPool(poolLimitBytes);
    this.stagingPool = new BufferPool(64 << 20);
    device.lost.then((info) => {
      this.lost = new GpuDeviceLostError(info.reason ?? 'unknown', info.message);
    });
    device.addEventListener?.('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(new GpuKernelError(this.batchLabels.join(',') || 'unknown', 'uncaptured', e.message));
    });
  }

  /** Finds an adapter and opens a device with the adapter's own limits and optional features. */
  static async create(options: GpuContextOptions = {}): Promise<GpuContext> {
    const found = await findAdapter(options);
    const { adapter } = found;
    const requiredLimits: Record<string, number> = {};
    for (const key of LIMIT_KEYS) {
      const v = (adapter.limits as unknown as Record<string, number>)[key];
      if (typeof v === 'number') requiredLimits[key] = v;
    }
    const wanted: GPUFeatureName[] = ['shader-f16', 'timestamp-query', 'subgroups' as GPUFeatureName];
    const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
    const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
    const measured = await measureLoopBudget(device);
    const cap = options.loopBudget ?? Number.POSITIVE_INFINITY;
    if (!(cap >= 1)) {
      device.destroy();
      throw new RangeError(`GpuContext.create: loopBudget must be a number >= 1, got ${cap}`);
    }
    return new GpuContext(
      device,
      found,
      options.maxBatch ?? 64,
      options.poolLimitBytes ?? 1 << 30,
      Math.min(measured, cap),
    );
  }

  /** One line naming the adapter, e.g. for logs. */
  get adapterDescription(): string {
    return describeAdapter(this.found);
  }

  /** The device's limits (equal to the adapter's, which were requested). */
  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  /** Whether WGSL `f16` may be used. */
  get hasF16(): boolean {
    return this.device.features.has('shader-f16');
  }

  /** Throws the loss error once the device is gone. */
  assertAlive(): void {
    if (this.lost) throw this.lost;
  }

  /**
   * A storage buffer of at least `bytes` bytes (its size class), from the pool when possible. A fresh
   * buffer is zero-filled by WebGPU; a pooled one keeps what its last user wrote, so kernels must
   * write every element of their output.
   */
  createBuffer(bytes: number): GPUBuffer {
    this.assertAlive();
    const max = this.device.limits.maxStorageBufferBindingSize;
    if (bytes > max) {
      throw new GpuKernelError(
        'createBuffer',
        'out-of-memory',
        `asked for ${bytes} bytes, the adapter binds at most ${max}`,
      );
    }
    const size = sizeClass(bytes);
    let buf = this.pool.take(size);
    if (!buf) {
      this.device.pushErrorScope('out-of-memory');
      buf = this.device.createBuffer({ size, usage: STORAGE });
      this.watch(this.device.popErrorScope(), `createBuffer(${size})`);
    }
    this.liveBuffers++;
    this.liveBytes += buf.size;
    if (this.liveBytes > this.peakBytes) this.peakBytes = this.liveBytes;
    return buf;
  }

  /** Gives a buffer from {@link createBuffer} back to the pool. Recorded work that uses it still runs first. */
  releaseBuffer(buf: GPUBuffer): void {
    this.liveBuffers--;
    this.liveBytes -= buf.size;
    const evicted = this.lost ? buf : this.pool.give(buf);
    if (!evicted) return;
    // A buffer destroyed before the encoder that uses it is submitted would invalidate that submit.
    if (this.encoder) this.destroyAfterSubmit.push(evicted);
    else evicted.destroy();
  }

  /** Starts a new peak measurement from the bytes live now. */
  resetPeakBytes(): void {
    this.peakBytes = this.liveBytes;
  }

  /** Idle buffers in the pool. */
  get pooledBuffers(): number {
    return this.pool.size;
  }

  /**
   * Writes bytes into a buffer, after all work recorded so far (which may still read its old contents).
   * WebGPU writes whole 32-bit words: `byteOffset` must be a multiple of 4, and a length that is not
   * is zero-padded to the end of its last word (up to 3 bytes past `data` become 0).
   */
  write(buf: GPUBuffer, data: ArrayBufferView, byteOffset = 0): void {
    this.assertAlive();
    if (byteOffset % 4 !== 0) {
      throw new GpuKernelError('write', 'validation', `byteOffset ${byteOffset} is not a multiple of 4`);
    }
    if (this.encoder) this.flush();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const padded = bytes.byteLength % 4 === 0 ? bytes : padTo4(bytes);
    this.device.queue.writeBuffer(buf, byteOffset, padded as Uint8Array<ArrayBuffer>);
  }

  /**
   * A small read-only uniform buffer holding these 32-bit words. Cached by content: a training loop
   * that repeats its shapes allocates none after the first step.
   */
  uniform(words: ArrayLike<number>, floats?: ArrayLike<number>): GPUBuffer {
    this.assertAlive();
    const key = `${Array.prototype.join.call(words, ',')}|${floats ? Array.prototype.join.call(floats, ',') : ''}`;
    const hit = this.meta.get(key);
    if (hit) {
      this.meta.delete(key);
      this.meta.set(key, hit);
      return hit;
    }
    const n = words.length + (floats?.length ?? 0);
    const size = Math.max(16, Math.ceil((n * 4) / 16) * 16);
    const buf = this.device.createBuffer({ size, usage: UNIFORM, mappedAtCreation: true });
    const range = buf.getMappedRange();
    new Uint32Array(range, 0, words.length).set(words);
    if (floats) new Float32Array(range, words.length * 4, floats.length).set(floats);
    buf.unmap();
    if (this.meta.size >= META_CACHE) {
      const [oldKey, old] = this.meta.entries().next().value as [string, GPUBuffer];
      this.meta.delete(oldKey);
      old.destroy(); // deferred by WebGPU until submitted work that uses it is done
    }
    this.meta.set(key, buf);
    return buf;
  }

  /**
   * The compute pipeline of this WGSL, compiled on its first use: the cache is keyed by the source
   * text itself, so two call sites that generate the same program share one pipeline, and no
   * specialization can be missed by a key. Compile errors name `label` (the first label a source
   * was compiled under).
   */
  kernel(label: string, code: string): Kernel {
    const hit = this.pipelines.get(code);
    if (hit) return hit;
    this.assertAlive();
    this.device.pushErrorScope('validation');
    const module = this.device.createShaderModule({ code, label });
    const pipeline = this.device.createComputePipeline({
      layout: 'auto',
      compute: { module, entryPoint: 'main' },
      label,
    });
    this.watch(this.device.popErrorScope(), label);
    const k = { label, pipeline };
    this.pipelines.set(code, k);
    this.compiledPipelines++;
    return k;
  }

  /**
   * Records one dispatch: `buffers[i]` is bound at `@group(0) @binding(i)`. Errors of the batch name
   * `label` (default: the kernel's), e.g. the op when several ops share one program.
   */
  dispatch(
    kernel: Kernel,
    buffers: GPUBuffer[],
    workgroups: readonly [number, number?, number?],
    label = kernel.label,
  ): void {
    this.assertAlive();
    this.pass ??= this.ensureEncoder().beginComputePass();
    const bindGroup = this.device.createBindGroup({
      layout: kernel.pipeline.getBindGroupLayout(0),
      entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
    });
    this.pass.setPipeline(kernel.pipeline);
    this.pass.setBindGroup(0, bindGroup);
    this.pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
    this.batchLabels.push(label);
    this.dispatches++;
    if (this.batchLabels.length >= this.maxBatch) this.flush();
  }

  /** Splits `n` workgroups into an x/y grid within `maxComputeWorkgroupsPerDimension`. Kernels rebuild the index as `id.x + id.y * nx`. */
  grid(n: number): [number, number] {
    const max = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (n <= max) return [Math.max(1, n), 1];
    const y = Math.ceil(n / max);
    return [Math.ceil(n / y), y];
  }

  /** Records a buffer-to-buffer copy. */
  copy(src: GPUBuffer, srcOffset: number, dst: GPUBuffer, dstOffset: number, bytes: number): void {
    this.assertAlive();
    this.endPass();
    this.ensureEncoder().copyBufferToBuffer(src, srcOffset, dst, dstOffset, Math.ceil(bytes / 4) * 4);
  }

  /** Submits all recorded work as one command buffer. */
  flush(): void {
    this.assertAlive();
    if (!this.encoder) return;
    this.endPass();
    const labels = this.batchLabels.join(',') || 'copy';
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = undefined;
    for (const b of this.destroyAfterSubmit) b.destroy();
    this.destroyAfterSubmit = [];
    this.batchLabels = [];
    this.submits++;
    this.watch(this.device.popErrorScope(), labels);
    this.watch(this.device.popErrorScope(), labels);
  }

  /**
   * Reads `bytes` bytes of a buffer from `byteOffset` (any alignment) once all recorded work is done.
   * Rejects with the first pending GPU error.
   */
  async read(buf: GPUBuffer, bytes: number, byteOffset = 0): Promise<ArrayBuffer> {
    this.assertAlive();
    // Copies move whole words: read from the word that holds the first byte, then slice.
    const skip = byteOffset % 4;
    const words = Math.ceil((skip + bytes) / 4) * 4;
    const size = sizeClass(words);
    const staging = this.stagingPool.take(size) ?? this.device.createBuffer({ size, usage: MAP_READ });
    this.copy(buf, byteOffset - skip, staging, 0, words);
    this.flush();
    try {
      await staging.mapAsync(0x0001);
    } catch (e) {
      await this.throwPending();
      this.assertAlive();
      throw new GpuKernelError('read', 'validation', String(e));
    }
    const out = staging.getMappedRange(0, words).slice(skip, skip + bytes);
    staging.unmap();
    this.stagingPool.give(staging)?.destroy();
    await this.throwPending();
    return out;
  }

  /** Waits for all submitted work, then throws the first GPU error seen since the last check, if any. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    await this.throwPending();
    this.assertAlive();
  }

  /** Destroys the device and every pooled buffer. */
  destroy(): void {
    this.encoder = undefined;
    this.pass = undefined;
    this.pool.clear();
    this.stagingPool.clear();
    for (const b of this.meta.values()) b.destroy();
    this.meta.clear();
    this.device.destroy();
  }

  private ensureEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = undefined;
  }

  private watch(scope: Promise<GPUError | null>, label: string): void {
    this.pendingChecks.push(
      scope.then(
        (err) => {
          if (err) this.errors.push(new GpuKernelError(label, errorKind(err), err.message));
        },
        () => undefined,
      ),
    );
  }

  private async throwPending(): Promise<void> {
    const checks = this.pendingChecks;
    this.pendingChecks = [];
    await Promise.all(checks);
    const first = this.errors.shift();
    this.errors = [];
    if (first) throw first;
  }
}

function errorKind(err: GPUError): string {
  const name = err.constructor?.name ?? '';
  if (name.includes('OutOfMemory')) return 'out-of-memory';
  if (name.includes('Internal')) return 'internal';
  return 'validation';
}

function padTo4(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(bytes.byteLength / 4) * 4);
  out.set(bytes);
  return out;
}

const LIMIT_KEYS = [
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxUniformBufferBindingSize',
  'maxBindingsPerBindGroup',
] as const;
