import * as T from '@tessera/tensor';

/**
 * Rotary position embedding as in Hugging Face LLaMA (`rotate_half` layout): the head dim is split in
 * halves and rotated by position-dependent angles θᵢ = pos · base^(−2i/d). Tables are computed once.
 */
export class RoPE {
  readonly cos: T.Tensor;
  readonly sin: T.Tensor;
  constructor(
    readonly headDim: number,
    readonly maxPositions: number,
    readonly base = 10000,
    backend?: T.Backend,
  ) {
    if (headDim % 2) throw new RangeError(`RoPE: head dim must be even, got ${headDim}`);
    const half = headDim / 2;
    const cos = new Float32Array(maxPositions * headDim);
    const sin = new Float32Array(maxPositions * headDim);
    for (let p = 0; p < maxPositions; p++) {
      for (let i = 0; i < half; i++) {
        // f32 frequencies, as PyTorch computes inv_freq in float32.
        const freq = Math.fround(1 / Math.fround(base ** ((2 * i) / headDim)));
        const a = Math.fround(p * freq);
        for (const j of [i, i + half]) {
          cos[p * headDim + j] = Math.cos(a);
          sin[p * headDim + j] = Math.sin(a);
        }
      }
    }
    this.cos = T.keep(T.tensor(cos, { shape: [maxPositions, headDim], backend }));
    this.sin = T.keep(T.tensor(sin, { shape: [maxPositions, headDim], backend }));
  }

  /** Rotates x [B, H, S, D] whose first position is `offset`. */
  apply(x: T.Tensor, offset = 0): T.Tensor {
    const S = x.shape[2];
    if (offset + S > this.maxPositions) {
      throw new RangeError(
        `RoPE: positions ${offset}..${offset + S - 1} exceed the table of ${this.maxPositions}`,
      );
    }
    const cos = T.narrow(this.cos, 0, offset, S);
    const sin = T.narrow(this.sin, 0, offset, S);
    const [x1, x2] = T.split(x, this.headDim / 2, -1);
    const rotated = T.concat([T.neg(x2), x1], -1);
    return T.add(T.mul(x, cos), T.mul(rotated, sin));
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
