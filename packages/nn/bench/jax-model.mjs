// The same small causal LM as @tessera/nn's CausalLM (RMSNorm, RoPE, causal attention, SwiGLU),
// written with jax-js, loading Tessera's weights so both do identical work; one training step
// (forward, backward by `valueAndGrad`, Adam update) is compiled into one function by `jit`, as JAX
// code is written. jax-js consumes every array passed to a function, so an array used again later
// is passed as `x.ref` (one extra reference) at every use but its last.
import { jax } from '@tessera/bench/jax';
import { lmTables } from './lm-tables.mjs';

const { numpy: np, nn, tree } = jax;

/** jax-js arrays from host weights (name → { data, shape }), on jax-js's default device. */
function jaxWeights(weights) {
  const out = {};
  for (const [k, { data, shape }] of Object.entries(weights)) out[k] = np.array(data, { shape });
  return out;
}

/** RoPE tables [S, Dh] (rotate_half layout). */
function jaxTables(S, Dh) {
  const { cos, sin } = lmTables(S, Dh);
  return { cos: np.array(cos, { shape: [S, Dh] }), sin: np.array(sin, { shape: [S, Dh] }) };
}

/**
 * Causal attention of q, k, v [B, H, S, D]: jax-js's `nn.dotProductAttention` with `isCausal`
 * (scores, `where` under a lower-triangular `tri`, softmax, product), transcribed with matmul in
 * place of its `einsum`, whose parser needs ES2025 iterator helpers that Node 20 lacks.
 */
export function jaxCausalAttention(q, k, v) {
  const [S, D] = q.shape.slice(2);
  const scores = np.matmul(q, k.transpose([0, 1, 3, 2])).mul(1 / Math.sqrt(D));
  const masked = np.where(np.tri(S, S, 0, { dtype: np.bool }), scores, -Infinity);
  return np.matmul(nn.softmax(masked, -1), v);
}

const rms = (x, w, eps = 1e-6) =>
  x.ref.mul(np.reciprocal(np.sqrt(np.mean(np.square(x), -1, { keepdims: true }).add(eps)))).mul(w);
/** x [..., in] · wᵀ with w [out, in], as torch.nn.Linear. */
const linear = (x, w) => np.matmul(x, w.transpose());

function rope(x, cos, sin) {
  const half = x.shape[3] / 2; // x [B, H, S, Dh]
  const x1 = x.ref.slice([], [], [], [0, half]);
  const x2 = x.ref.slice([], [], [], [half]);
  return x.mul(cos).add(np.concatenate([x2.neg(), x1], -1).mul(sin));
}

/** Mean next-token cross-entropy of ids [B, S + 1] (int32) under weights `W`. */
function loss(W, ids, tables, cfg) {
  const [B, S1] = ids.shape;
  const S = S1 - 1;
  const { dim: D, heads: H, layers } = cfg;
  const Dh = D / H;
  const inputs = ids.ref.slice([], [0, S]);
  const targets = ids.slice([], [1]);
  let h = np.take(W['model.embed_tokens.weight'], inputs, 0);
  const heads = (t) => t.reshape([B, S, H, Dh]).transpose([0, 2, 1, 3]);
  for (let l = 0; l < layers; l++) {
    const p = (n) => W[`model.layers.${l}.${n}`];
    const x = rms(h.ref, p('input_layernorm.weight'));
    const q = rope(heads(linear(x.ref, p('self_attn.q_proj.weight'))), tables.cos.ref, tables.sin.ref);
    const k = rope(heads(linear(x.ref, p('self_attn.k_proj.weight'))), tables.cos.ref, tables.sin.ref);
    const v = heads(linear(x, p('self_attn.v_proj.weight')));
    const o = jaxCausalAttention(q, k, v).transpose([0, 2, 1, 3]).reshape([B, S, D]);
    h = h.ref.add(linear(o, p('self_attn.o_proj.weight')));
    const y = rms(h.ref, p('post_attention_layernorm.weight'));
    const mlp = nn.silu(linear(y.ref, p('mlp.gate_proj.weight'))).mul(linear(y, p('mlp.up_proj.weight')));
    h = h.add(linear(mlp, p('mlp.down_proj.weight')));
  }
  tree.dispose(tables);
  const logits = linear(rms(h, W['model.norm.weight']), W['lm_head.weight']);
  return nn.logSoftmax(logits, -1).mul(nn.oneHot(targets, cfg.vocabSize)).sum(-1).mean().neg();
}

/** The loss of ids [B, S + 1] at weights `W` (none of the arrays consumed). */
async function jaxLoss(W, ids, tables, cfg) {
  const f = jax.jit((w, i, t) => loss(w, i, t, cfg));
  const value = (await f(tree.ref(W), ids.ref, tree.ref(tables)).data())[0];
  f.dispose();
  return value;
}

/**
 * A jitted Adam step (β = 0.9, 0.999, ε = 1e-7 as tfjs's Adam; no weight decay, as the Tessera
 * run): step(W, m, v, ids, tables, lrT) → [loss, W', m', v'], consuming its arguments; `lrT` is the
 * bias-corrected rate lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ), computed on the host each step.
 */
function jaxAdamStep(cfg) {
  const [b1, b2, eps] = [0.9, 0.999, 1e-7];
  return jax.jit((W, m, v, ids, tables, lrT) => {
    const [value, grads] = jax.valueAndGrad((w, i, t) => loss(w, i, t, cfg))(tree.ref(W), ids, tables);
    const [W2, m2, v2] = [{}, {}, {}];
    for (const key of Object.keys(W)) {
      const g = grads[key];
      m2[key] = m[key].mul(b1).add(g.ref.mul(1 - b1));
      v2[key] = v[key].mul(b2).add(np.square(g).mul(1 - b2));
      W2[key] = W[key].sub(m2[key].ref.mul(lrT.ref).div(np.sqrt(v2[key].ref).add(eps)));
    }
    lrT.dispose();
    return [value, W2, m2, v2];
  });
}

/** Zero first and second moments shaped as `W`. */
const adamState = (W) => [tree.map((w) => np.zerosLike(w.ref), W), tree.map((w) => np.zerosLike(w.ref), W)];

/**
 * The model at `weights` on jax-js's default device, trained on `ids` [batch, seq + 1]: its loss
 * there, and `step()`, one jitted Adam step at lr 1e-3 that resolves once its loss is read.
 */
export async function jaxTrainStep(weights, { ids, config, batch, seq }) {
  let W = jaxWeights(weights);
  const tables = jaxTables(seq, config.dim / config.heads);
  const x = np.array(Int32Array.from(ids), { shape: [batch, seq + 1], dtype: np.int32 });
  const loss = await jaxLoss(W, x, tables, config);
  const update = jaxAdamStep(config);
  let [m, v] = adamState(W);
  let t = 0;
  const step = async () => {
    t++;
    const lrT = (1e-3 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
    let value;
    [value, W, m, v] = update(W, m, v, x.ref, tree.ref(tables), lrT);
    await value.data();
  };
  return { loss, step };
}
