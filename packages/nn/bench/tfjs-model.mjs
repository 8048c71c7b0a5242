// The same small causal LM as @tessera/nn's CausalLM (RMSNorm, RoPE, causal attention, SwiGLU),
// written with TensorFlow.js ops, loading Tessera's weights so both do identical work.
import { tf } from '@tessera/bench/tfjs';
import { lmTables } from './lm-tables.mjs';

/** tfjs variables from host weights (name → { data, shape }). */
function tfjsWeights(weights) {
  const out = {};
  for (const [k, { data, shape }] of Object.entries(weights))
    out[k] = tf.variable(tf.tensor(data, shape), true);
  return out;
}

const rms = (x, w, eps = 1e-6) =>
  tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), w);
// 2-D products: tfjs's gradient of a broadcast batched matMul has the wrong shape.
const linear = (x, w) => {
  const lead = x.shape.slice(0, -1);
  return tf.reshape(tf.matMul(tf.reshape(x, [-1, x.shape[x.rank - 1]]), w, false, true), [
    ...lead,
    w.shape[0],
  ]);
};

function rope(x, cos, sin) {
  const half = x.shape[3] / 2;
  const x1 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, half]);
  const x2 = tf.slice(x, [0, 0, 0, half], [-1, -1, -1, half]);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], -1), sin));
}

/** Mean next-token cross-entropy of ids [B, S + 1] (int32) under weights `W`. */
function tfjsLoss(W, ids, cfg, tables) {
  const [B, S1] = ids.shape;
  const S = S1 - 1;
  const { dim: D, heads: H, layers } = cfg;
  const Dh = D / H;
  const inputs = tf.slice(ids, [0, 0], [B, S]);
  const targets = tf.slice(ids, [0, 1], [B, S]);
  let h = tf.gather(W['model.embed_tokens.weight'], inputs);
  const split = (t) => tf.transpose(tf.reshape(t, [B, S, H, Dh]), [0, 2, 1, 3]);
  for (let l = 0; l < layers; l++) {
    const p = (n) => W[`model.layers.${l}.${n}`];
    const x = rms(h, p('input_layernorm.weight'));
    const q = rope(split(linear(x, p('self_attn.q_proj.weight'))), tables.cos, tables.sin);
    const k = rope(split(linear(x, p('self_attn.k_proj.weight'))), tables.cos, tables.sin);
    const v = split(linear(x, p('self_attn.v_proj.weight')));
    const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(Dh)), tables.mask);
    const o = tf.reshape(tf.transpose(tf.matMul(tf.softmax(scores), v), [0, 2, 1, 3]), [B, S, D]);
    h = tf.add(h, linear(o, p('self_attn.o_proj.weight')));
    const y = rms(h, p('post_attention_layernorm.weight'));
    const mlp = tf.mul(
      tf.mul(linear(y, p('mlp.gate_proj.weight')), tf.sigmoid(linear(y, p('mlp.gate_proj.weight')))),
      linear(y, p('mlp.up_proj.weight')),
    );
    h = tf.add(h, linear(mlp, p('mlp.down_proj.weight')));
  }
  const logits = linear(rms(h, W['model.norm.weight']), W['lm_head.weight']);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(targets, cfg.vocabSize), logits);
}

/** RoPE tables [S, Dh] (rotate_half layout) and the causal mask [S, S] as additive −1e9, as tfjs tensors. */
function tfjsTables(S, Dh) {
  const { cos, sin, mask } = lmTables(S, Dh);
  return { cos: tf.tensor(cos, [S, Dh]), sin: tf.tensor(sin, [S, Dh]), mask: tf.tensor(mask, [S, S]) };
}

/**
 * The model at `weights` on tfjs's current backend, trained on `ids` [batch, seq + 1]: its loss
 * there, and `step()`, one Adam step (tfjs has no AdamW; Adam without weight decay does the same
 * work per parameter, and the Tessera run uses weight decay 0) that resolves once its loss is read.
 */
export async function tfjsTrainStep(weights, { ids, config, batch, seq }) {
  const W = tfjsWeights(weights);
  const tables = tfjsTables(seq, config.dim / config.heads);
  const x = tf.tensor(ids, [batch, seq + 1], 'int32');
  const first = tf.tidy(() => tfjsLoss(W, x, config, tables));
  const loss = (await first.data())[0];
  first.dispose();
  const opt = tf.train.adam(1e-3);
  const step = async () => {
    const l = opt.minimize(() => tfjsLoss(W, x, config, tables), true, Object.values(W));
    await l.data();
    l.dispose();
  };
  return { loss, step };
}
