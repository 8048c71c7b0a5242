import * as T from '@tessera/tensor';
import { init, Module, type ModuleOptions, resolve } from './module.js';

/** Uniform in [−bound, bound), PyTorch's default for Linear weights (kaiming_uniform with a = √5) and biases. */
export function uniformInit(shape: number[], bound: number, o: ModuleOptions): T.Tensor {
  return init(() => T.mul(T.sub(T.mul(T.rand(shape, resolve(o)), 2), 1), bound));
}

/** `y = x·Wᵀ + b` with weight [out, in] and bias [out], initialised as `torch.nn.Linear`. */
export class Linear extends Module {
  readonly weight: T.Tensor;
  readonly bias?: T.Tensor;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: ModuleOptions & { bias?: boolean } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = this.param('weight', uniformInit([outFeatures, inFeatures], bound, options));
    if (options.bias ?? true) this.bias = this.param('bias', uniformInit([outFeatures], bound, options));
  }
  forward(x: T.Tensor): T.Tensor {
    return T.linear(x, this.weight, this.bias);
  }
}

/** A lookup table [num, dim], initialised N(0, 1) as `torch.nn.Embedding`. */
export class Embedding extends Module {
  readonly weight: T.Tensor;
  constructor(num: number, dim: number, options: ModuleOptions = {}) {
    super();
    this.weight = this.param(
      'weight',
      init(() => T.randn([num, dim], resolve(options))),
    );
  }
  /** Rows for i32 ids of any shape: [...ids.shape, dim]. */
  forward(ids: T.Tensor): T.Tensor {
    return T.embedding(this.weight, ids);
  }
}

/** Layer normalization over the last dim with a learned scale and shift. */
export class LayerNorm extends Module {
  readonly weight: T.Tensor;
  readonly bias: T.Tensor;
  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
    options: ModuleOptions = {},
  ) {
    super();
    const { backend } = resolve(options);
    this.weight = this.param('weight', T.ones([dim], { backend }));
    this.bias = this.param('bias', T.zeros([dim], { backend }));
  }
  forward(x: T.Tensor): T.Tensor {
    return T.layerNorm(x, [this.dim], this.weight, this.bias, this.eps);
  }
}

/** RMS normalization over the last dim with a learned scale (LLaMA's `RMSNorm`). */
export class RMSNorm extends Module {
  readonly weight: T.Tensor;
  constructor(
    readonly dim: number,
    readonly eps = 1e-6,
    options: ModuleOptions = {},
  ) {
    super();
    this.weight = this.param('weight', T.ones([dim], { backend: resolve(options).backend }));
  }
  forward(x: T.Tensor): T.Tensor {
    return T.rmsNorm(x, [this.dim], this.weight, this.eps);
  }
}

/** Zeroes elements with probability `p` in training mode and scales the rest by 1/(1−p); seeded. */
export class Dropout extends Module {
  readonly generator: T.Generator;
  constructor(
    readonly p: number,
    options: { generator?: T.Generator } = {},
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout: p must be in [0, 1), got ${p}`);
    this.generator = options.generator ?? new T.Generator(0);
  }
  forward(x: T.Tensor): T.Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = T.ge(T.rand([...x.shape], { backend: x.backend, generator: this.generator }), this.p);
    return T.where(keep, T.div(x, 1 - this.p), 0);
  }
}

/** LLaMA's feed-forward: `down(silu(gate(x)) · up(x))`. */
export class SwiGLU extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(dim: number, hidden: number, options: ModuleOptions = {}) {
    super();
    const o = { ...options, bias: false };
    this.gate_proj = this.child('gate_proj', new Linear(dim, hidden, o));
    this.up_proj = this.child('up_proj', new Linear(dim, hidden, o));
    this.down_proj = this.child('down_proj', new Linear(hidden, dim, o));
  }
  forward(x: T.Tensor): T.Tensor {
    return this.down_proj.forward(T.mul(T.silu(this.gate_proj.forward(x)), this.up_proj.forward(x)));
  }
}
