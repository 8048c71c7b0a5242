import { Dropout, Linear, Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { quantizeTensor } from '../device/weight.js';
import type { Linear4bit } from '../modules/linear4bit.js';
import { loraScaling, type ResolvedLoraConfig } from './config.js';

/** What merging or unmerging into a 4-bit base cost: the requantization error it added. */
export interface MergeReport {
  /** ‖Q(W′) − W′‖² / ‖W′‖² for the merged (or unmerged) f32 weight W′. */
  relativeMse: number;
  /** max |Q(W′) − W′|. */
  maxAbsError: number;
}

/**
 * A linear layer with a LoRA adapter, PEFT's `lora.Linear`: `base(x) + B(A(dropout(x))) · scaling`,
 * A [r, in] Kaiming-uniform (a = √5), B [out, r] zeros. The base (f32 `Linear` or 4-bit
 * {@link Linear4bit}) is frozen; only A and B train. Submodule names follow PEFT
 * (`base_layer`, `lora_A`, `lora_B`, `lora_dropout`).
 */
export class LoraLinear extends Module {
  readonly base_layer: Linear | Linear4bit;
  readonly lora_A: Linear;
  readonly lora_B: Linear;
  readonly lora_dropout: Dropout;
  readonly scaling: number;
  /** Whether B·A·scaling is currently added into the base weight. */
  merged = false;

  constructor(
    base: Linear | Linear4bit,
    readonly config: ResolvedLoraConfig,
    generator = new T.Generator(config.seed),
  ) {
    super();
    const backend = base instanceof Linear ? base.weight.backend : base.weight.backend;
    this.base_layer = this.child('base_layer', base);
    base.setRequiresGrad(false);
    const o = { backend, generator, bias: false };
    this.lora_A = this.child('lora_A', new Linear(base.inFeatures, config.r, o));
    this.lora_B = this.child('lora_B', new Linear(config.r, base.outFeatures, o));
    T.noGrad(() => this.lora_B.weight.assign(T.zeros([base.outFeatures, config.r], { backend })));
    this.lora_dropout = this.child('lora_dropout', new Dropout(config.dropout, { generator }));
    this.scaling = loraScaling(config);
  }

  get inFeatures(): number {
    return this.base_layer.inFeatures;
  }
  get outFeatures(): number {
    return this.base_layer.outFeatures;
  }

  forward(x: T.Tensor): T.Tensor {
    const y = this.base_layer.forward(x);
    if (this.merged) return y;
    const delta = this.lora_B.forward(this.lora_A.forward(this.lora_dropout.forward(x)));
    return T.add(y, T.mul(delta, this.scaling));
  }

  /** scaling · B·A, the adapter's weight update [out, in]. */
  delta(): T.Tensor {
    return T.noGrad(() => T.mul(T.matmul(this.lora_B.weight, this.lora_A.weight), this.scaling));
  }

  /** Adds the adapter into the base weight (4-bit: dequantize, add, requantize; the added error is reported). */
  merge(): Promise<MergeReport | null> {
    if (this.merged) throw new Error('LoraLinear.merge: already merged');
    return this.shift(1).then((r) => {
      this.merged = true;
      return r;
    });
  }

  /** Subtracts the adapter from the base weight again (4-bit: requantizes once more, reported). */
  unmerge(): Promise<MergeReport | null> {
    if (!this.merged) throw new Error('LoraLinear.unmerge: not merged');
    return this.shift(-1).then((r) => {
      this.merged = false;
      return r;
    });
  }

  private async shift(sign: 1 | -1): Promise<MergeReport | null> {
    const base = this.base_layer;
    if (base instanceof Linear) {
      T.tidy(() => T.noGrad(() => base.weight.assign(T.add(base.weight, T.mul(this.delta(), sign)))));
      return null;
    }
    const w = base.weight;
    const target = T.tidy(() => T.add(w.dequantize(), T.mul(this.delta(), sign)));
    const doubleQuant = w.nested !== null;
    const q = await quantizeTensor(target, { type: w.type, blockSize: w.blockSize, doubleQuant });
    const report = await T.tidy(async () => {
      const err = T.sub(q.dequantize(), target);
      const [se, st, mx] = await Promise.all([
        T.sum(T.square(err)).item(),
        T.sum(T.square(target)).item(),
        T.max(T.abs(err)).item(),
      ]);
      return { relativeMse: se / Math.max(st, Number.MIN_VALUE), maxAbsError: mx };
    });
    target.dispose();
    base.setWeight(q);
    return report;
  }
}
