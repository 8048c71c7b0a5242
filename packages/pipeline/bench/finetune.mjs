// Fine-tuning a translated pipeline as arXiv 1906.03822 does: the pipeline becomes one network
// (toTrainable: relaxed tree tests, trainable linear layers, initialised from the fitted
// parameters), trained jointly with AdamW on the training rows' log-loss while the temperature of
// the relaxed trees is annealed toward 0, stopped early on the validation rows' log-loss.
// Shared by bench/reproduce.mjs and test/reproduce.test.ts, which pass their own build of the
// package (its dist, or its sources) to fineTuning().
import { AdamW } from '@tessera/nn';
import * as T from '@tessera/tensor';

/** float32's machine epsilon: scikit-learn's log_loss clips float32 probabilities there. */
const EPS = 2 ** -23;

/**
 * scikit-learn's log_loss of class probabilities [rows, classes] against class indices: each row
 * clipped to [EPS, 1 − EPS] and renormalised, then the mean of −log p(true class).
 */
export function logLoss(probabilities, y, classes) {
  let total = 0;
  for (let r = 0; r < y.length; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.min(Math.max(probabilities[r * classes + c], EPS), 1 - EPS);
    const p = Math.min(Math.max(probabilities[r * classes + y[r]], EPS), 1 - EPS) / sum;
    total -= Math.log(p);
  }
  return total / y.length;
}

/** The fraction of rows whose predicted label equals the target. */
export function accuracy(labels, y) {
  let hits = 0;
  for (let r = 0; r < y.length; r++) if (Number(labels[r]) === y[r]) hits++;
  return hits / y.length;
}

/** The network's relaxed class probabilities for rows `x` (row-major, `columns` wide). */
async function softProbabilities(net, x, columns, backend) {
  return T.noGrad(() =>
    T.tidy(async () => {
      const xt = T.tensor(x, { shape: [x.length / columns, columns], backend });
      return net.forward(xt).probabilities.data();
    }),
  );
}

/** The relaxed network's accuracy (argmax of its probabilities) and log-loss. */
function softMetrics(probabilities, y, classes) {
  const labels = Array.from(y, (_, r) => {
    let best = 0;
    for (let c = 1; c < classes; c++)
      if (probabilities[r * classes + c] > probabilities[r * classes + best]) best = c;
    return best;
  });
  return { accuracy: accuracy(labels, y), logLoss: logLoss(probabilities, y, classes) };
}

/** mulberry32: uniform numbers in [0, 1) from a 32-bit seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seeded permutation of 0 … n − 1 (Fisher–Yates). */
function permutation(n, random) {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/**
 * The leaf values of each forest whose trees' leaves are class distributions that the forest
 * averages (scikit-learn's and ml.js's random forests): AdamW would move them out of the simplex —
 * negative or above one — and the compiled forest would then give invalid probabilities, so after
 * each step they are projected back (clipped at 0, each leaf renormalised to sum 1).
 */
function distributionLeaves(net, pipeline) {
  const forests = new Set(
    pipeline.nodes.flatMap((n, i) =>
      n.op.kind === 'trees' && n.op.aggregate === 'average' && n.op.post === 'none' ? [`${i}_trees`] : [],
    ),
  );
  return net.namedParameters().flatMap(([name, p]) => {
    const [owner, param] = name.split('.');
    return forests.has(owner) && param === 'leaf_values' ? [p] : [];
  });
}

/**
 * The parameters trained: all but those of a scaler on the raw input. Its offset and scale are in
 * the features' own units (a scale of 0.003 for a feature in the hundreds), where AdamW's steps,
 * of about the learning rate whatever a parameter's size, would rescale some features by a third
 * in a few steps; and they are redundant with the next layer's (tree thresholds, PCA weights), which
 * train in standardised units.
 */
function trainedParameters(net, pipeline) {
  const input = pipeline.inputs[0].name;
  const frozen = new Set(
    pipeline.nodes.flatMap((n, i) =>
      n.op.kind === 'scaler' && n.inputs[0] === input ? [`${i}_scaler`] : [],
    ),
  );
  return net.namedParameters().flatMap(([name, p]) => (frozen.has(name.split('.')[0]) ? [] : [p]));
}

/** Puts each leaf of `leaves` back on the simplex (see distributionLeaves). */
function projectToSimplex(leaves) {
  T.noGrad(() =>
    T.tidy(() => {
      for (const v of leaves) {
        const positive = T.maximum(v, 0);
        // Leaves no row reaches (padding of the GEMM layout) hold zeros, and keep them.
        const total = T.maximum(T.sum(positive, -1, true), 1e-12);
        v.assign(T.div(positive, total));
      }
    }),
  );
}

/**
 * The fine-tuning and its evaluation on one build of @tessera/pipeline (`compile`, `toTrainable`):
 * { evaluateHard, fineTune, evaluateTuned }.
 */
export function fineTuning({ compile, toTrainable }) {
  /** The compiled (hard) pipeline's accuracy and log-loss on rows `x` with targets `y`. */
  async function evaluateHard(pipeline, { x, y }, classes, backend) {
    const program = compile(pipeline, { backend });
    const out = await program.predict(x);
    program.dispose();
    return { accuracy: accuracy(out.label, y), logLoss: logLoss(out.probabilities, y, classes) };
  }

  /**
   * Fine-tunes `pipeline` (its single float input `columns` wide; outputs `label`, `probabilities`)
   * on `data.train` and stops on `data.validation` ({ x: Float32Array row-major, y: Int32Array }).
   * Each epoch: the temperature t_e = t₀·(t_end/t₀)^(e/(epochs−1)), one pass over the shuffled
   * training rows in mini-batches minimising the log-loss of the relaxed network, then two validation
   * log-losses: of the relaxed network at that temperature (soft), and of its pipeline compiled
   * (hard, as it would be served). For each the epoch with the lowest is kept; training stops after
   * `patience` epochs with neither improved. Resolves to { soft, hard }, each the kept pipeline (to
   * compile) with its epoch, temperature and validation log-loss, and the per-epoch history.
   */
  async function fineTune(pipeline, data, options) {
    const { backend, seed, epochs, batchSize, lr, weightDecay, patience, columns, classes } = options;
    const [t0, tEnd] = options.temperature;
    const net = toTrainable(pipeline, { backend, calibration: data.train.x, temperature: t0 });
    const opt = new AdamW(trainedParameters(net, pipeline), { lr, weightDecay });
    const leaves = distributionLeaves(net, pipeline);
    const random = rng(seed);
    const rows = data.train.y.length;
    const history = [];
    const best = {
      soft: { validationLoss: Number.POSITIVE_INFINITY },
      hard: { validationLoss: Number.POSITIVE_INFINITY },
    };
    let stale = 0;
    for (let epoch = 0; epoch < epochs && stale < patience; epoch++) {
      const temperature = t0 * (tEnd / t0) ** (epochs > 1 ? epoch / (epochs - 1) : 1);
      net.temperature = temperature;
      const order = permutation(rows, random);
      let trainLoss = 0;
      for (let start = 0; start < rows; start += batchSize) {
        const idx = order.slice(start, start + batchSize);
        const xb = new Float32Array(idx.length * columns);
        idx.forEach((r, i) => {
          xb.set(data.train.x.subarray(r * columns, (r + 1) * columns), i * columns);
        });
        const yb = Int32Array.from(idx, (r) => data.train.y[r]);
        opt.zeroGrad();
        const loss = T.tidy(() => {
          const x = T.tensor(xb, { shape: [idx.length, columns], backend });
          const p = net.forward(x).probabilities;
          // The clamp keeps the log finite where a probability is 0; the cross-entropy's
          // log-softmax renormalises the row, as log_loss does.
          const l = T.crossEntropy(T.log(T.clamp(p, EPS, 1)), T.tensor(yb, { backend }));
          l.backward();
          return l.detach();
        });
        trainLoss += (await loss.item()) * idx.length;
        loss.dispose();
        await opt.step();
        projectToSimplex(leaves);
      }
      const current = await net.toPipeline();
      const soft = logLoss(
        await softProbabilities(net, data.validation.x, columns, backend),
        data.validation.y,
        classes,
      );
      const hard = (await evaluateHard(current, data.validation, classes, backend)).logLoss;
      history.push({ epoch, temperature, trainLoss: trainLoss / rows, soft, hard });
      stale++;
      for (const [kind, loss] of [
        ['soft', soft],
        ['hard', hard],
      ]) {
        if (loss < best[kind].validationLoss) {
          best[kind] = { validationLoss: loss, temperature, epoch, pipeline: current };
          stale = 0;
        }
      }
    }
    opt.dispose();
    net.dispose();
    return { ...best, history };
  }

  /**
   * The fine-tuned networks evaluated on `split` ({ x, y }): the hard one compiled, as it would be
   * served, and the soft one as the relaxed network at the temperature it was kept at.
   */
  async function evaluateTuned(tuned, split, options) {
    const { backend, calibration, columns, classes } = options;
    const hard = await evaluateHard(tuned.hard.pipeline, split, classes, backend);
    const net = toTrainable(tuned.soft.pipeline, {
      backend,
      calibration,
      temperature: tuned.soft.temperature,
    });
    const soft = softMetrics(await softProbabilities(net, split.x, columns, backend), split.y, classes);
    net.dispose();
    return { hard, soft };
  }

  return { evaluateHard, fineTune, evaluateTuned };
}
