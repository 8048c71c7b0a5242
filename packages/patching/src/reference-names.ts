// From the reference's parameter layout (facebookresearch/blt, on lingua's BaseTransformer) to
// @tessera/nn's: transformer blocks are renamed to Hugging Face LLaMA names, and the rows of
// wq/wk are permuted from Meta's interleaved RoPE pairs to rotate-half, as transformers'
// convert_llama_weights_to_hf does. Shared by the entropy model and the BLT model.
import { PatchingError } from './errors.js';

/** A tensor on the host, as read from a checkpoint. */
export interface HostTensor {
  data: Float32Array;
  shape: number[];
}

/** Reference TransformerBlock parameter → @tessera/nn TransformerBlock parameter. */
const BLOCK: Record<string, string> = {
  'attention.wq.weight': 'self_attn.q_proj.weight',
  'attention.wk.weight': 'self_attn.k_proj.weight',
  'attention.wv.weight': 'self_attn.v_proj.weight',
  'attention.wo.weight': 'self_attn.o_proj.weight',
  'feed_forward.w1.weight': 'mlp.gate_proj.weight',
  'feed_forward.w3.weight': 'mlp.up_proj.weight',
  'feed_forward.w2.weight': 'mlp.down_proj.weight',
  'attention_norm.weight': 'input_layernorm.weight',
  'ffn_norm.weight': 'post_attention_layernorm.weight',
};

/** Our name of a reference block parameter (`attention.wq.weight`, …), or undefined if it is none. */
export const blockName = (suffix: string): string | undefined => BLOCK[suffix];

/**
 * A q or k projection [heads·headDim, in] with its rows reordered from interleaved RoPE pairs to
 * rotate-half: reference row h·D + 2i + k (pair i, part k) becomes row h·D + k·D/2 + i.
 */
export function permuteRope(t: HostTensor, heads: number, what: string): HostTensor {
  const [rows, cols] = t.shape;
  const headDim = rows / heads;
  if (t.shape.length !== 2 || !Number.isInteger(headDim) || headDim % 2)
    throw new PatchingError(
      `${what}: a q/k projection of shape [${t.shape.join(', ')}] does not fit ${heads} heads of an even size`,
    );
  const data = new Float32Array(t.data.length);
  const half = headDim / 2;
  for (let h = 0; h < heads; h++)
    for (let i = 0; i < half; i++)
      for (let k = 0; k < 2; k++) {
        const from = h * headDim + 2 * i + k;
        data.set(t.data.subarray(from * cols, (from + 1) * cols), (h * headDim + k * half + i) * cols);
      }
  return { data, shape: t.shape };
}

/**
 * Converts one reference block parameter: `suffix` renamed, wq/wk permuted for `heads` query and
 * `kvHeads` key heads. Undefined when `suffix` is not a block parameter.
 */
export function convertBlockParam(
  suffix: string,
  t: HostTensor,
  heads: number,
  kvHeads: number,
  what: string,
): [string, HostTensor] | undefined {
  const name = blockName(suffix);
  if (!name) return undefined;
  if (suffix === 'attention.wq.weight') return [name, permuteRope(t, heads, what)];
  if (suffix === 'attention.wk.weight') return [name, permuteRope(t, kvHeads, what)];
  return [name, t];
}
