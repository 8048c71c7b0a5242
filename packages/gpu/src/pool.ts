/**
 * Size classes for pooled buffers: powers of two up to 16 MiB, then whole MiB, so a buffer freed
 * by one step of a loop is found again by the next one with the same shapes.
 */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  if (b <= 1 << 24) return 2 ** Math.ceil(Math.log2(b));
  return Math.ceil(b / (1 << 20)) * (1 << 20);
}

/** Free lists of GPU buffers by size class; keeps at most `limitBytes` idle. */
export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private idleBytes = 0;

  constructor(private readonly limitBytes: number) {}

  /** A free buffer of exactly this size class, if one is idle. */
  take(size: number): GPUBuffer | undefined {
    const list = this.free.get(size);
    const buf = list?.pop();
    if (buf) this.idleBytes -= size;
    return buf;
  }

  /** Returns a buffer to the pool; when the pool is full, returns it back to the caller to destroy. */
  give(buf: GPUBuffer): GPUBuffer | undefined {
    if (this.idleBytes + buf.size > this.limitBytes) return buf;
    let list = this.free.get(buf.size);
    if (!list) {
      list = [];
      this.free.set(buf.size, list);
    }
    list.push(buf);
    this.idleBytes += buf.size;
    return undefined;
  }

  /** Number of idle buffers. */
  get size(): number {
    let n = 0;
    for (const l of this.free.values()) n += l.length;
    return n;
  }

  /** Destroys every idle buffer. */
  clear(): void {
    for (const l of this.free.values()) for (const b of l) b.destroy();
    this.free.clear();
    this.idleBytes = 0;
  }
}
