import { apply } from '../apply.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { arange, full } from './creation.js';
import { eq, ge, gt, mul, sub, where } from './elementwise.js';
import { matmul } from './matmul.js';
import { expand, narrow, reshape, transpose, unsqueeze } from './movement.js';
import { softmax } from './nn.js';
import { sum } from './reduce.js';

/** Options of {@link scaledDotProductAttention}. */
export interface AttentionOptions {
  /** Hide keys after each query's position. Default false. */
  causal?: boolean;
  /** Keep only keys within the last `window` positions of each query (sliding window); 0 = all. */
  window?: number;
  /** Position of the first query (for a KV cache: the number of cached keys). Default 0. */
  qOffset?: number;
  /** [B, Sk] u8, 1 where a key is padding to ignore (PyTorch's `key_padding_mask`). */
  keyPaddingMask?: Tensor;
  /**
   * [B, Sk] i32 document ids, one per key position, for packed sequences (xformers'
   * `BlockDiagonalCausalMask`, a flex-attention document mask): query i, at key position
   * `qOffset + i`, sees key j only when `segments[b, j] == segments[b, qOffset + i]`, on top of the
   * other rules. Needs `qOffset + Sq <= Sk` (self-attention or a KV cache), as every query must
   * have a key position to take its id from.
   */
  segments?: Tensor;
  /** Score scale. Default 1/√D. */
  scale?: number;
}

const MASKED = -1e30;

/** Normalised options and checked shapes shared by the fused op and the composite reference. */
function prepare(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions) {
  const bad = (why: string) =>
    new ShapeError(`attention: q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}: ${why}`);
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) throw bad('each must be [batch, heads, seq, dim]');
  const [B, H, , D] = q.shape;
  const [Bk, Hkv, Sk, Dk] = k.shape;
  if (Bk !== B || v.shape[0] !== B) throw bad('batch sizes differ');
  if (Dk !== D) throw bad(`q and k head dims differ (${D} vs ${Dk})`);
  if (v.shape[1] !== Hkv || v.shape[2] !== Sk) throw bad('k and v must have the same heads and length');
  if (H % Hkv !== 0) throw bad(`query heads ${H} must be a multiple of key/value heads ${Hkv}`);
  const mask = o.keyPaddingMask;
  if (
    mask &&
    (mask.rank !== 2 ||
      mask.shape[0] !== B ||
      mask.shape[1] !== Sk ||
      (mask.dtype !== 'bool' && mask.dtype !== 'u8'))
  ) {
    throw new ShapeError(
      `attention: keyPaddingMask must be bool (or u8) [${B}, ${Sk}], got ${mask.dtype}${fmt(mask.shape)}`,
    );
  }
  const qOffset = o.qOffset ?? 0;
  const seg = o.segments;
  if (seg) {
    const why = `attention: segments must be i32 [${B}, ${Sk}] (a document id per key), got ${seg.dtype}${fmt(seg.shape)}`;
    if (seg.dtype !== 'i32') throw new DTypeError(why);
    if (seg.rank !== 2 || seg.shape[0] !== B || seg.shape[1] !== Sk) throw new ShapeError(why);
    // A query's document is the id at its own key position, so that position must exist.
    if (qOffset + q.shape[2] > Sk) {
      throw bad(
        `segments need qOffset + Sq <= Sk (queries at key positions), got ${qOffset} + ${q.shape[2]} > ${Sk}`,
      );
    }
  }
  return {
    scale: o.scale ?? 1 / Math.sqrt(D),
    causal: o.causal ?? false,
    window: o.window ?? 0,
    qOffset,
    groups: H / Hkv,
  };
}

/**
 * softmax(q·kᵀ·scale + mask)·v as one fused kernel (online softmax over key tiles on WebGPU), with
 * grouped-query heads, causal and sliding-window masks, key padding, document (segment) masks and a
 * query offset for incremental decoding. Differentiable: the backward pass recomputes the
 * probabilities.
 */
export function scaledDotProductAttention(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  options: AttentionOptions = {},
): Tensor {
  const p = prepare(q, k, v, options);
  const { keyPaddingMask: mask, segments } = options;
  // Optional inputs follow q, k, v in this order; the `padded` / `segmented` flags say which are there.
  const inputs = [q, k, v, ...(mask ? [mask] : []), ...(segments ? [segments] : [])];
  return apply('attention', inputs, {
    scale: p.scale,
    causal: p.causal,
    window: p.window,
    qOffset: p.qOffset,
    padded: !!mask,
    segmented: !!segments,
  });
}

/** Repeats each key/value head `groups` times: [B, Hkv, S, D] → [B, Hkv·groups, S, D]. */
export function repeatHeads(x: Tensor, groups: number): Tensor {
  if (groups === 1) return x;
  const [B, Hkv, S, D] = x.shape;
  return reshape(expand(unsqueeze(x, 2), [B, Hkv, groups, S, D]), [B, Hkv * groups, S, D]);
}

/** Sums the gradient of repeated heads back onto each key/value head. */
export function sumHeads(g: Tensor, groups: number): Tensor {
  if (groups === 1) return g;
  const [B, H, S, D] = g.shape;
  return sum(reshape(g, [B, H / groups, groups, S, D]), 2);
}

/** u8 [B or 1, 1, Sq, Sk]: 1 where query i may see key j. */
export function visibility(q: Tensor, k: Tensor, options: AttentionOptions): Tensor {
  const p = prepare(q, k, k, options);
  const [Sq, Sk] = [q.shape[2], k.shape[2]];
  const backend = q.backend;
  const qpos = reshape(arange(p.qOffset, p.qOffset + Sq, 1, { backend }), [Sq, 1]);
  const kpos = reshape(arange(Sk, undefined, 1, { backend }), [1, Sk]);
  let seen = full([Sq, Sk], 1, { dtype: 'u8', backend });
  if (p.causal) seen = mul(seen, ge(qpos, kpos));
  if (p.window > 0) seen = mul(seen, gt(kpos, sub(qpos, p.window)));
  let out = reshape(seen, [1, 1, Sq, Sk]);
  const B = k.shape[0];
  if (options.keyPaddingMask) out = mul(out, reshape(eq(options.keyPaddingMask, 0), [B, 1, 1, Sk]));
  if (options.segments) {
    const own = reshape(narrow(options.segments, 1, p.qOffset, Sq), [B, 1, Sq, 1]);
    out = mul(out, eq(own, reshape(options.segments, [B, 1, 1, Sk])));
  }
  return out;
}

/** The attention probabilities [B, H, Sq, Sk] the fused kernel uses (rows with no visible key are 0). */
export function attentionProbs(q: Tensor, k: Tensor, options: AttentionOptions = {}): Tensor {
  const p = prepare(q, k, k, options);
  const seen = visibility(q, k, options);
  const scores = mul(matmul(q, transpose(repeatHeads(k, p.groups))), p.scale);
  return where(seen, softmax(where(seen, scores, MASKED), -1), 0);
}

/** The composite reference of {@link scaledDotProductAttention}: the same result from separate ops. */
export function attentionReference(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const p = prepare(q, k, v, options);
  return matmul(attentionProbs(q, k, options), repeatHeads(v, p.groups));
}
