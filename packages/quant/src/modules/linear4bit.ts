import { Linear, Module } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { fail, show } from '../checks.js';
import { matmul4 } from '../device/matmul.js';
import {
  checkQuantizeOptions,
  QuantizedWeight,
  type QuantizeOptions,
  quantizeTensor,
} from '../device/weight.js';

/**
 * A drop-in for `Linear` whose weight is held 4-bit ({@link QuantizedWeight}): `y = x·Wᵀ + b` through
 * the fused kernels, with gradients flowing to x (the weight is frozen, as in QLoRA). The bias stays
 * f32 and is a frozen parameter too.
 */
export class Linear4bit extends Module {
  readonly bias?: T.Tensor;
  /** Precision of the fused matmul (see {@link Matmul4Options}); change it any time. */
  compute: 'f32' | 'f16' = 'f32';

  constructor(
    public weight: QuantizedWeight,
    bias?: T.Tensor,
  ) {
    super();
    if (!(weight instanceof QuantizedWeight))
      fail(`Linear4bit: weight must be a QuantizedWeight, got ${show(weight)}`);
    if (weight.shape.length !== 2)
      fail(`Linear4bit: weight must be 2-D [out, in], got shape [${weight.shape.join(', ')}]`);
    if (
      bias !== undefined &&
      (!(bias instanceof T.Tensor) || bias.rank !== 1 || bias.shape[0] !== weight.shape[0])
    )
      fail(
        `Linear4bit: bias must be a tensor [${weight.shape[0]}], got ${bias instanceof T.Tensor ? `[${bias.shape.join(', ')}]` : show(bias)}`,
      );
    if (bias) this.bias = this.param('bias', bias);
    this.setRequiresGrad(false);
  }

  /** Input features (the weight's second dim). */
  get inFeatures(): number {
    return this.weight.shape[1];
  }
  /** Output features (the weight's first dim). */
  get outFeatures(): number {
    return this.weight.shape[0];
  }

  /** Swaps in a new quantized weight (after a merge), freeing the old one. */
  setWeight(w: QuantizedWeight): void {
    const old = this.weight;
    this.weight = w;
    if (old !== w) old.dispose();
  }

  /** Quantizes a Linear's weight on its backend; the bias is shared, not copied. */
  static async fromLinear(linear: Linear, options: QuantizeOptions = {}): Promise<Linear4bit> {
    const w = await quantizeTensor(linear.weight, options);
    return new Linear4bit(w, linear.bias && T.keep(linear.bias.detach()));
  }

  forward(x: T.Tensor): T.Tensor {
    const y = matmul4(x, this.weight, { compute: this.compute });
    return this.bias ? T.add(y, this.bias) : y;
  }

  /** Backend bytes of the weight (codes and absmax) plus the bias. */
  get bytes(): number {
    return this.weight.bytes + (this.bias ? this.bias.size * 4 : 0);
  }

  override dispose(): void {
    super.dispose();
    this.weight.dispose();
  }
}

/** Options of {@link quantizeModel}. */
export interface QuantizeModelOptions extends QuantizeOptions {
  /**
   * Module paths to leave in f32: exact dotted names or their last part (`lm_head`), as
   * transformers' `llm_int8_skip_modules`. Default `['lm_head']`.
   */
  skip?: string[];
}

/** What {@link quantizeModel} did. */
export interface QuantizeReport {
  /** Paths of the layers now 4-bit. */
  quantized: string[];
  /** Backend bytes of those layers' weights before (f32) and after. */
  bytesBefore: number;
  bytesAfter: number;
}

const skipped = (path: string, skip: string[]) =>
  skip.some((s) => s === path || path.endsWith(`.${s}`) || path.split('.').pop() === s);

/**
 * Replaces, in place, every `Linear` of `model` not named in `skip` by a {@link Linear4bit} on the
 * same backend, freeing the f32 weights.
 */
export async function quantizeModel(
  model: Module,
  options: QuantizeModelOptions = {},
): Promise<QuantizeReport> {
  checkQuantizeOptions('quantizeModel', options);
  const skip = options.skip ?? ['lm_head'];
  if (!Array.isArray(skip) || !skip.every((s) => typeof s === 'string'))
    fail(`quantizeModel: options.skip must be a list of module names, got ${show(skip)}`);
  const report: QuantizeReport = { quantized: [], bytesBefore: 0, bytesAfter: 0 };
  for (const [path, m] of model.namedModules()) {
    if (!(m instanceof Linear) || skipped(path, skip)) continue;
    const q = await Linear4bit.fromLinear(m, options);
    const dot = path.lastIndexOf('.');
    const parent = dot < 0 ? model : model.getModule(path.slice(0, dot));
    parent.setChild(path.slice(dot + 1), q);
    report.quantized.push(path);
    report.bytesBefore += m.weight.size * 4;
    report.bytesAfter += q.weight.bytes;
    m.dispose();
  }
  return report;
}
