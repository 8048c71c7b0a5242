// The Mixture-of-Experts and Mixture-of-Transformers claims at small scale on real text, with
// fixed seeds, as one function the benchmark calls (`quick` for a short run):
// 1. sparse MoE vs a dense byte LM at matched training FLOPs (Switch Transformer, arXiv 2101.03961;
//    GShard / Mixtral top-2): held-out bits per byte, and the FLOPs at which each MoE first reaches
//    the dense model's final held-out loss;
// 2. Mixture-of-Transformers vs dense on interleaved prose and code (arXiv 2411.04996): held-out
//    loss per modality at matched FLOPs, and the step at which MoT first reaches dense's final loss;
// 3. routing health: dropped choices per capacity factor and load imbalance after training with
//    no balancing, with the load-balancing loss, and with DeepSeek-V3's bias update.
import { mobyDick, typescriptLib } from '@tessera/corpora';
import {
  assignSlots,
  DeepSeekV3Router,
  expertCapacity,
  MoECausalLM,
  MoTCausalLM,
  routingStats,
  SwitchRouter,
} from '@tessera/moe';
import { AdamW, CausalLM, splitBytes } from '@tessera/nn';
import * as T from '@tessera/tensor';

const PKG = '@tessera/moe';
const VOCAB = 256; // raw bytes

/** Settings of the quick and the full run (the model is the same; the full one trains longer). */
export const SETTINGS = {
  quick: {
    dim: 32,
    layers: 2,
    heads: 2,
    hidden: 64,
    seq: 32,
    batch: 8,
    steps: 80,
    evals: 8,
    evalWindows: 32,
  },
  full: {
    dim: 32,
    layers: 2,
    heads: 2,
    hidden: 64,
    seq: 32,
    batch: 8,
    steps: 400,
    evals: 10,
    evalWindows: 128,
  },
};
const LR = 3e-3;
const BIAS_RATE = 1e-2; // DeepSeek-V3 uses 1e-3 over ~15k steps; a 100× shorter run needs a faster rate
const CAPACITY_FACTORS = [0.5, 1, 1.25, 2];

/** Deterministic uniform [0, 1) stream (LCG), so every arm sees the same data. */
function lcg(seed) {
  let a = seed >>> 0;
  return () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
}

/** `count` random windows of S + 1 positions from `ids` (and their `mods`, when given). */
function randomWindows(ids, mods, S, count, seed) {
  const r = lcg(seed);
  return Array.from({ length: count }, () => {
    const at = Math.floor(r() * (ids.length - S - 1));
    return {
      ids: [...ids.subarray(at, at + S + 1)],
      mods: mods ? [...mods.subarray(at, at + S + 1)] : undefined,
    };
  });
}

/** Consecutive non-overlapping windows of S + 1 positions (the held-out set). */
function heldOutWindows(ids, mods, S, count) {
  const out = [];
  for (let i = 0; out.length < count && i + S + 1 <= ids.length; i += S + 1)
    out.push({
      ids: [...ids.subarray(i, i + S + 1)],
      mods: mods ? [...mods.subarray(i, i + S + 1)] : undefined,
    });
  return out;
}

/**
 * Prose (modality 0) and code (modality 1) interleaved in chunks of 16–64 bytes, each chunk the
 * next run of its source, with the modality id of every byte.
 */
function interleave(prose, code, seed) {
  const r = lcg(seed);
  const ids = [];
  const mods = [];
  let p = 0;
  let c = 0;
  for (let m = 0; p < prose.length && c < code.length; m ^= 1) {
    const n = 16 + Math.floor(r() * 49);
    const src = m === 0 ? prose.subarray(p, p + n) : code.subarray(c, c + n);
    if (m === 0) p += n;
    else c += n;
    for (const b of src) {
      ids.push(b);
      mods.push(m);
    }
  }
  return { ids: Int32Array.from(ids), mods: Int32Array.from(mods) };
}

/**
 * Training FLOPs per token: 3 × (2 per active weight + attention), the usual 6N rule. Embedding
 * lookups and norms are free; each expert bank counts k/E of its weights (a token runs k of E
 * experts); each MoT modality counts 1/M (a token runs its own modality's weights); attention adds
 * 2 (scores) × 2 (mixing) × dim × S/2 visible positions per layer.
 */
function trainFlopsPerToken(model, c, { k = 1, experts = 1, modalities = 1 } = {}) {
  let active = 0;
  for (const [name, p] of model.namedParameters()) {
    if (/embed_tokens|norm/.test(name)) continue;
    if (/experts\.w[123]/.test(name)) active += (p.size * k) / experts;
    else if (/modalities\.\d+\./.test(name)) active += p.size / modalities;
    else active += p.size;
  }
  return 3 * (2 * active + 4 * c.layers * c.dim * (c.seq / 2));
}

const idsTensor = (rows, key, backend) =>
  T.tensor(
    rows.map((w) => w[key]),
    { dtype: 'i32', backend },
  );

/**
 * Trains `arm.model` for `steps` steps of `batch` random windows and evaluates `evaluate` (mean
 * held-out nats, or per-modality nats) `evals` times on the way: the curve of [step, value].
 */
async function train(arm, data, o, evaluate, log) {
  const { model, steps, name } = arm;
  const opt = new AdamW(model.parameters(), { lr: LR, weightDecay: 0 });
  const curve = [];
  const every = Math.max(1, Math.round(steps / o.evals));
  const t0 = performance.now();
  for (let s = 0; s < steps; s++) {
    const rows = data.slice(s * o.batch, (s + 1) * o.batch);
    const ids = idsTensor(rows, 'ids', o.backend);
    const mods = rows[0].mods ? idsTensor(rows, 'mods', o.backend) : undefined;
    opt.zeroGrad();
    const loss = await T.tidy(async () => {
      let l;
      if (mods) l = await model.loss(ids, mods);
      else if (arm.biasRouters) {
        // DeepSeek-V3's auxiliary-loss-free balancing: after each step's routing, nudge the biases.
        const S = ids.shape[1];
        const out = model.forwardWithAux(T.narrow(ids, 1, 0, S - 1));
        l = T.add(T.crossEntropy(out.logits, T.contiguous(T.narrow(ids, 1, 1, S - 1))), out.auxLoss);
        out.assignments.forEach((a, i) => {
          if (a) arm.biasRouters[i].updateBias(a, BIAS_RATE);
        });
      } else l = model.loss(ids);
      l.backward();
      return l;
    });
    opt.step();
    loss.dispose();
    ids.dispose();
    mods?.dispose();
    if ((s + 1) % every === 0 || s === steps - 1) {
      const v = await evaluate(model);
      curve.push([s + 1, v]);
      log(`  ${name} step ${s + 1}/${steps}: held-out ${JSON.stringify(v)}`);
    }
  }
  opt.dispose();
  return { curve, seconds: (performance.now() - t0) / 1000 };
}

/**
 * Mean next-byte cross-entropy (nats) of a byte LM over held-out windows, in batches; the logits
 * alone, so an MoE's auxiliary loss is not counted.
 */
async function heldOutNats(model, windows, o) {
  let nats = 0;
  for (let i = 0; i < windows.length; i += o.batch) {
    const ids = idsTensor(windows.slice(i, i + o.batch), 'ids', o.backend);
    const S = ids.shape[1];
    const l = T.tidy(() =>
      T.noGrad(() =>
        T.crossEntropy(model.forward(T.narrow(ids, 1, 0, S - 1)), T.contiguous(T.narrow(ids, 1, 1, S - 1))),
      ),
    );
    nats += (await l.item()) * Math.min(o.batch, windows.length - i);
    l.dispose();
    ids.dispose();
  }
  return nats / windows.length;
}

/** Held-out nats per target modality ({ prose, code, all }) of a MoT (or, without modalities, a dense) LM. */
async function perModalityNats(model, windows, o) {
  const sum = [0, 0];
  const n = [0, 0];
  for (let i = 0; i < windows.length; i += o.batch) {
    const rows = windows.slice(i, i + o.batch);
    const ids = idsTensor(rows, 'ids', o.backend);
    const S = ids.shape[1];
    const per = await T.tidy(async () =>
      T.noGrad(async () => {
        if (model instanceof MoTCausalLM) return model.loss(ids, idsTensor(rows, 'mods', o.backend), 'none');
        const logits = model.forward(T.narrow(ids, 1, 0, S - 1));
        return T.crossEntropy(logits, T.contiguous(T.narrow(ids, 1, 1, S - 1)), { reduction: 'none' });
      }),
    );
    const v = await per.data();
    per.dispose();
    ids.dispose();
    rows.forEach((w, r) => {
      for (let t = 0; t < S - 1; t++) {
        const m = w.mods[t + 1]; // the modality of the byte predicted
        sum[m] += v[r * (S - 1) + t];
        n[m]++;
      }
    });
  }
  return { prose: sum[0] / n[0], code: sum[1] / n[1], all: (sum[0] + sum[1]) / (n[0] + n[1]) };
}

/** First point of `curve` at or below `target` (by `pick`), or undefined. */
const firstReach = (curve, target, pick = (v) => v) => curve.find(([, v]) => pick(v) <= target)?.[0];

/**
 * Dropped fraction per capacity factor and load imbalance (max / mean kept choices per expert) of
 * a trained MoE LM's routing on held-out batches of the training batch size, averaged over sparse
 * layers and batches. The routing itself is dropless; capacity is applied afterwards with
 * fairseq's rule ceil(cf · tokens · k / E).
 */
async function routingHealth(model, windows, k, E, o) {
  const drops = Object.fromEntries(CAPACITY_FACTORS.map((cf) => [cf, 0]));
  let imbalance = 0;
  let count = 0;
  for (let i = 0; i + o.batch <= windows.length; i += o.batch) {
    const ids = idsTensor(windows.slice(i, i + o.batch), 'ids', o.backend);
    await T.tidy(async () =>
      T.noGrad(async () => {
        const { assignments } = model.forwardWithAux(T.narrow(ids, 1, 0, ids.shape[1] - 1));
        for (const a of assignments) {
          if (!a) continue;
          const tokens = a.experts.shape[0];
          imbalance += (await routingStats(a)).imbalance;
          for (const cf of CAPACITY_FACTORS) {
            const { dropped } = assignSlots(a, expertCapacity(tokens, k, E, cf));
            drops[cf] += await T.mean(T.cast(dropped, 'f32')).item();
          }
          count++;
        }
      }),
    );
    ids.dispose();
  }
  for (const cf of CAPACITY_FACTORS) drops[cf] /= count;
  return { drops, imbalance: imbalance / count };
}

const bits = (nats) => nats / Math.LN2;
const sci = (x) => x.toExponential(2);

/**
 * Runs the three reproductions and prints their report.
 * @param {{ quick?: boolean, backend?: object, log?: (s: string) => void }} [options]
 * @returns {Promise<{ package: string, name: string, impl: string, metric: string, value: number, unit: string }[]>}
 */
export async function reproduce({ quick = false, backend, log = () => {} } = {}) {
  backend ??= await T.wasmBackend();
  const o = { ...SETTINGS[quick ? 'quick' : 'full'], backend };
  const c = {
    vocabSize: VOCAB,
    dim: o.dim,
    layers: o.layers,
    heads: o.heads,
    hidden: o.hidden,
    maxSeq: o.seq + 1,
  };
  const S = o.seq;
  const impl = `tessera-${backend.name}`;
  const records = [];
  const rec = (name, metric, value, unit) => records.push({ package: PKG, name, impl, metric, value, unit });
  const setting = `dim ${o.dim}, ${o.layers} layers, seq ${S}, batch ${o.batch}, ${o.steps} dense steps`;
  console.log(
    `\n## MoE / MoT reproductions (${quick ? 'quick' : 'full'} run, ${impl}: ${setting}, AdamW lr ${LR})`,
  );

  // ---- 1. MoE vs dense byte LM on Moby-Dick at matched training FLOPs.
  const { train: mdTrain, test: mdTest } = splitBytes(mobyDick(), 0.02);
  const corpus = mdTrain.subarray(60_000); // past the front matter: prose like the held-out chapters
  const heldOut = heldOutWindows(mdTest, undefined, S, o.evalWindows);
  const arms = [
    { name: 'dense' },
    { name: 'MoE 8 experts top-1', E: 8, k: 1 },
    { name: 'MoE 8 experts top-2', E: 8, k: 2 },
    { name: 'MoE 16 experts top-1', E: 16, k: 1 },
    { name: 'MoE 16 experts top-2', E: 16, k: 2 },
  ];
  // Top-1 is Switch's router (weight = the expert's probability, so the router learns from the LM
  // loss); top-2 is Mixtral's (the default). Both with the default aux loss: 0.01 · load balance + 0.001 · z.
  const makeMoE = (E, k, extra = {}, options = {}) =>
    new MoECausalLM(
      { ...c, numExperts: E, k, ...extra },
      {
        backend,
        generator: new T.Generator(0),
        router: k === 1 ? (_, opt) => new SwitchRouter(c.dim, E, opt) : undefined,
        ...options,
      },
    );
  let budget;
  let denseFinal;
  const lm = {};
  console.log('\n### 1. MoE vs dense byte LM (Moby-Dick, held-out chapters)\n');
  for (const arm of arms) {
    const model = arm.E ? makeMoE(arm.E, arm.k) : new CausalLM(c, { backend, generator: new T.Generator(0) });
    const perToken = trainFlopsPerToken(model, o, { k: arm.k, experts: arm.E });
    const stepFlops = perToken * o.batch * S;
    budget ??= stepFlops * o.steps;
    const steps = Math.max(1, Math.round(budget / stepFlops));
    const data = randomWindows(corpus, undefined, S, steps * o.batch, 1);
    const { curve, seconds } = await train(
      { model, steps, name: arm.name },
      data,
      o,
      (m) => heldOutNats(m, heldOut, o),
      log,
    );
    const final = curve.at(-1)[1];
    denseFinal ??= final;
    const reach = arm.E ? firstReach(curve, denseFinal) : steps;
    lm[arm.name] = { bpb: bits(final), perToken, steps, reachFlops: reach && reach * stepFlops, seconds };
    if (arm.E === 8) lm[arm.name].health = await routingHealth(model, heldOut, arm.k, arm.E, o);
    const name = `MoE vs dense byte LM: ${arm.name}`;
    rec(name, 'held-out bits/byte', bits(final), 'bits/byte');
    rec(name, 'train FLOPs/token', perToken, 'FLOPs');
    if (arm.E) rec(name, 'FLOPs to dense final loss', lm[arm.name].reachFlops ?? Number.NaN, 'FLOPs');
    model.dispose();
  }
  console.log('| model | train FLOPs/token | steps | held-out bits/byte | FLOPs to reach dense final loss |');
  console.log('|---|---|---|---|---|');
  for (const [name, r] of Object.entries(lm)) {
    const reach = name === 'dense' ? sci(budget) : r.reachFlops ? sci(r.reachFlops) : 'not reached';
    console.log(`| ${name} | ${sci(r.perToken)} | ${r.steps} | ${r.bpb.toFixed(3)} | ${reach} |`);
  }

  // ---- 2. MoT vs dense on interleaved prose and code.
  console.log('\n### 2. Mixture-of-Transformers vs dense (prose and TypeScript interleaved)\n');
  const { train: tsTrain, test: tsTest } = splitBytes(typescriptLib(), 0.1);
  const mixTrain = interleave(corpus, tsTrain, 3);
  const mixTest = interleave(mdTest, tsTest, 4);
  const mixHeld = heldOutWindows(mixTest.ids, mixTest.mods, S, o.evalWindows);
  const mixData = randomWindows(mixTrain.ids, mixTrain.mods, S, o.steps * o.batch, 2);
  const mot = {};
  for (const name of ['dense', 'MoT']) {
    const g = { backend, generator: new T.Generator(0) };
    const model = name === 'MoT' ? new MoTCausalLM({ ...c, modalities: 2 }, g) : new CausalLM(c, g);
    const perToken = trainFlopsPerToken(model, o, { modalities: 2 });
    const { curve, seconds } = await train(
      { model, steps: o.steps, name },
      name === 'MoT' ? mixData : mixData.map((w) => ({ ids: w.ids })),
      o,
      (m) => perModalityNats(m, mixHeld, o),
      log,
    );
    mot[name] = { final: curve.at(-1)[1], curve, perToken, seconds };
    model.dispose();
  }
  console.log(
    '| model | train FLOPs/token | prose bits/byte | code bits/byte | all bits/byte | step reaching dense final (prose / code / all) |',
  );
  console.log('|---|---|---|---|---|---|');
  for (const [name, r] of Object.entries(mot)) {
    const reach = ['prose', 'code', 'all']
      .map((m) =>
        name === 'dense' ? o.steps : (firstReach(r.curve, mot.dense.final[m], (v) => v[m]) ?? 'not reached'),
      )
      .join(' / ');
    const f = r.final;
    console.log(
      `| ${name} | ${sci(r.perToken)} | ${bits(f.prose).toFixed(3)} | ${bits(f.code).toFixed(3)} | ${bits(f.all).toFixed(3)} | ${reach} |`,
    );
    for (const m of ['prose', 'code', 'all'])
      rec(`MoT vs dense (prose + code): ${name}`, `held-out bits/byte ${m}`, bits(f[m]), 'bits/byte');
    if (name === 'MoT')
      rec(
        'MoT vs dense (prose + code): MoT',
        'steps to dense final loss (all)',
        firstReach(r.curve, mot.dense.final.all, (v) => v.all) ?? Number.NaN,
        'steps',
      );
  }

  // ---- 3. Routing health: 8 experts, no balancing vs load-balancing loss vs DeepSeek-V3 bias.
  console.log('\n### 3. Routing health (8 experts, held-out batches of the training size)\n');
  const healthSteps = Math.round(o.steps * 0.75);
  const health = [];
  for (const k of [1, 2]) {
    for (const mode of ['none', 'load-balance loss', 'DeepSeek-V3 bias']) {
      let h;
      if (mode === 'load-balance loss')
        h = lm[`MoE 8 experts top-${k}`].health; // claim 1's arm
      else {
        const biasRouters = [];
        const model = makeMoE(
          8,
          k,
          { loadBalanceWeight: 0, zLossWeight: 0 },
          mode === 'none'
            ? {}
            : {
                router: (i, opt) => {
                  biasRouters[i] = new DeepSeekV3Router(c.dim, 8, k, opt);
                  return biasRouters[i];
                },
              },
        );
        const data = randomWindows(corpus, undefined, S, healthSteps * o.batch, 1);
        await train(
          {
            model,
            steps: healthSteps,
            name: `top-${k} ${mode}`,
            biasRouters: mode === 'none' ? undefined : biasRouters,
          },
          data,
          o,
          async () => 'skipped',
          log,
        );
        h = await routingHealth(model, heldOut, k, 8, o);
        model.dispose();
      }
      health.push({ k, mode, ...h });
      const name = `routing health top-${k}: ${mode}`;
      rec(name, 'imbalance max/mean', h.imbalance, 'ratio');
      for (const cf of CAPACITY_FACTORS)
        rec(name, `dropped at capacity factor ${cf}`, h.drops[cf], 'fraction');
    }
  }
  console.log(
    `| router | balancing | imbalance (max/mean) | ${CAPACITY_FACTORS.map((cf) => `dropped @ cf ${cf}`).join(' | ')} |`,
  );
  console.log(`|---|---|---|${CAPACITY_FACTORS.map(() => '---').join('|')}|`);
  for (const h of health) {
    const router =
      h.mode === 'DeepSeek-V3 bias' ? `DeepSeek-V3 top-${h.k}` : h.k === 1 ? 'Switch top-1' : 'Mixtral top-2';
    console.log(
      `| ${router} | ${h.mode} | ${h.imbalance.toFixed(2)} | ${CAPACITY_FACTORS.map((cf) => `${(100 * h.drops[cf]).toFixed(1)}%`).join(' | ')} |`,
    );
  }
  console.log(
    `\n(load-balance rows: claim 1's arms, ${o.steps}-step budget; the others ${healthSteps} steps; DeepSeek-V3 bias rate ${BIAS_RATE}.)`,
  );
  return records;
}
