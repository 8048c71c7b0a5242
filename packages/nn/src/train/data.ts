import * as T from '@tessera/tensor';

/** Where a {@link ByteLoader} stands, to save in checkpoints and resume exactly. */
export interface LoaderState {
  epoch: number;
  cursor: number;
}

/** mulberry32: a small seeded PRNG for shuffling window order. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Splits bytes into a training part and a held-out tail of `heldOut` (a fraction, default 0.1). */
export function splitBytes(bytes: Uint8Array, heldOut = 0.1): { train: Uint8Array; test: Uint8Array } {
  if (!(heldOut >= 0 && heldOut < 1))
    throw new RangeError(`splitBytes: heldOut must be in [0, 1), got ${heldOut}`);
  const cut = Math.floor(bytes.byteLength * (1 - heldOut));
  return { train: bytes.subarray(0, cut), test: bytes.subarray(cut) };
}

/**
 * Batches of contiguous byte windows for next-byte prediction: each row holds `seqLen + 1` bytes
 * (inputs and shifted targets). Windows tile the stream without overlap; their order is shuffled
 * per epoch with a seeded PRNG, so a run is reproducible and resumable from {@link state}.
 */
export class ByteLoader {
  readonly windows: number;
  private order: number[] = [];
  private epoch = 0;
  private cursor = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly batchSize: number,
    readonly seqLen: number,
    readonly options: { seed?: number; shuffle?: boolean; backend?: T.Backend } = {},
  ) {
    this.windows = Math.floor((bytes.byteLength - 1) / seqLen);
    if (this.windows < batchSize) {
      throw new RangeError(
        `ByteLoader: ${bytes.byteLength} bytes hold ${this.windows} windows of ${seqLen}, fewer than a batch of ${batchSize}`,
      );
    }
    this.shuffle();
  }

  private shuffle(): void {
    this.order = Array.from({ length: this.windows }, (_, i) => i);
    if (this.options.shuffle === false) return;
    const rand = mulberry32((this.options.seed ?? 0) + this.epoch * 0x9e3779b9);
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [this.order[i], this.order[j]] = [this.order[j], this.order[i]];
    }
  }

  /** The next batch as i32 [batchSize, seqLen + 1]; a new epoch reshuffles. */
  next(): T.Tensor {
    if (this.cursor + this.batchSize > this.windows) {
      this.epoch++;
      this.cursor = 0;
      this.shuffle();
    }
    const rows = new Int32Array(this.batchSize * (this.seqLen + 1));
    for (let b = 0; b < this.batchSize; b++) {
      const start = this.order[this.cursor + b] * this.seqLen;
      rows.set(this.bytes.subarray(start, start + this.seqLen + 1), b * (this.seqLen + 1));
    }
    this.cursor += this.batchSize;
    return T.tensor(rows, { shape: [this.batchSize, this.seqLen + 1], backend: this.options.backend });
  }

  /** Position in the stream of batches. */
  get state(): LoaderState {
    return { epoch: this.epoch, cursor: this.cursor };
  }
  set state(s: LoaderState) {
    this.epoch = s.epoch;
    this.shuffle();
    this.cursor = s.cursor;
  }
}
