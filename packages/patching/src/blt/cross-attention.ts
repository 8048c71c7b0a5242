// BLT's cross-attention between bytes and patches (the reference's latent_transformer.CrossAttention,
// with its parameter names): RMS-normed queries and keys/values, multi-head, no RoPE.
import { Linear, Module, type ModuleOptions, RMSNorm } from '@tessera/nn';
import * as T from '@tessera/tensor';

/** Queries [N, Sq, dim] attend keys/values [N, Sk, dim]; returns x + wo(attention), as the reference. */
export class CrossAttention extends Module {
  readonly cross_attn_norm_q: RMSNorm;
  readonly cross_attn_norm_kv: RMSNorm;
  readonly wq: Linear;
  readonly wk: Linear;
  readonly wv: Linear;
  readonly wo: Linear;

  constructor(
    readonly dim: number,
    readonly heads: number,
    eps: number,
    o: ModuleOptions,
  ) {
    super();
    const lin = { ...o, bias: false };
    this.cross_attn_norm_q = this.child('cross_attn_norm_q', new RMSNorm(dim, eps, o));
    this.cross_attn_norm_kv = this.child('cross_attn_norm_kv', new RMSNorm(dim, eps, o));
    this.wq = this.child('wq', new Linear(dim, dim, lin));
    this.wk = this.child('wk', new Linear(dim, dim, lin));
    this.wv = this.child('wv', new Linear(dim, dim, lin));
    this.wo = this.child('wo', new Linear(dim, dim, lin));
  }

  /** [N, S, dim] → [N, heads, S, dim/heads]. */
  private split(x: T.Tensor): T.Tensor {
    const [N, S] = x.shape;
    return T.transpose(T.reshape(x, [N, S, this.heads, this.dim / this.heads]), 1, 2);
  }

  /** Keys and values [N, heads, Sk, d] of `kv` [N, Sk, dim]: they depend on the patch only, so the decoder makes them once per patch. */
  keysValues(kv: T.Tensor): { k: T.Tensor; v: T.Tensor } {
    const norm = this.cross_attn_norm_kv.forward(kv);
    return { k: this.split(this.wk.forward(norm)), v: this.split(this.wv.forward(norm)) };
  }

  /**
   * x + wo(softmax(q·kᵀ/√d)·v) for queries x [N, Sq, dim] and {@link keysValues}. `keyPaddingMask`
   * [N, Sk] (u8, 1 = padding) hides keys; a query with no visible key gets 0 from the attention, as
   * the reference's flex attention gives.
   */
  attend(x: T.Tensor, kv: { k: T.Tensor; v: T.Tensor }, keyPaddingMask?: T.Tensor): T.Tensor {
    const [N, Sq] = x.shape;
    const q = this.split(this.wq.forward(this.cross_attn_norm_q.forward(x)));
    const out = T.scaledDotProductAttention(q, kv.k, kv.v, { keyPaddingMask });
    return T.add(x, this.wo.forward(T.reshape(T.transpose(out, 1, 2), [N, Sq, this.dim])));
  }

  /** Queries x [N, Sq, dim] attend keys/values from `kv` [N, Sk, dim]. */
  forward(x: T.Tensor, kv: T.Tensor, keyPaddingMask?: T.Tensor): T.Tensor {
    return this.attend(x, this.keysValues(kv), keyPaddingMask);
  }
}
