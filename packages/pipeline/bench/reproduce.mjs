// arXiv 1906.03822's claim on real data: a trained pipeline translated into a network and
// fine-tuned jointly does at least as well as the original. For each data set (its fixed
// train/validation/test split) and seed, three pipelines fitted by scikit-learn (sklearn_peer.py
// reproduce) are scored as compiled — the original — then fine-tuned (finetune.mjs) at each
// learning rate of a small grid, the rate chosen on validation log-loss, and scored on the test
// rows: hard (the trained pipeline compiled, as served) and soft (the relaxed network).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tessera from '@tessera/pipeline';
import * as T from '@tessera/tensor';
import { fineTuning } from './finetune.mjs';
import { printTable } from './report.mjs';

const { compile, parseSklearn, toTrainable, validatePipeline } = tessera;
const { evaluateHard, evaluateTuned, fineTune } = fineTuning(tessera);

/** The rows `idx` of a data set's input `key` ('X' or 'bins') as float32 row-major, and targets. */
function rows(ds, key, idx) {
  return { x: Float32Array.from(idx.flatMap((r) => ds[key][r])), y: Int32Array.from(idx, (r) => ds.y[r]) };
}

/**
 * A one-hot encoder cannot be part of toTrainable's network (its compiled form reads its result
 * back on the host: "oneHot needs a host-side lookup … cannot be part of a trained network"), so a
 * pipeline that starts with one is split: the encoder stays compiled and encodes the rows, the
 * network is the rest (its input the encoded columns), and the trained rest is put back behind it.
 */
function splitAtEncoder(pipeline) {
  const first = pipeline.nodes[0];
  if (first.op.kind !== 'oneHot') return undefined;
  const encoded = validatePipeline(pipeline).values.get(first.outputs[0]);
  return {
    encoder: { ...pipeline, nodes: [first], outputs: [encoded.name] },
    rest: {
      ...pipeline,
      inputs: [{ name: encoded.name, kind: 'float', columns: encoded.columns }],
      nodes: pipeline.nodes.slice(1),
    },
    join: (rest) => ({ ...pipeline, nodes: [first, ...rest.nodes] }),
  };
}

/** Whether toTrainable's network runs `pipeline` on `x` (its first rows); the error's message if not. */
function trainableError(pipeline, x, columns, backend) {
  const net = toTrainable(pipeline, { backend });
  try {
    T.noGrad(() =>
      T.tidy(() => net.forward(T.tensor(x.subarray(0, columns), { shape: [1, columns], backend }))),
    );
    return undefined;
  } catch (e) {
    return e.message;
  } finally {
    net.dispose();
  }
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v) => Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / Math.max(v.length - 1, 1));

/**
 * Runs the reproduction on the files `sklearn_peer.py reproduce` wrote to `dir`. `settings`:
 * { epochs, batchSize, patience, lrs, weightDecay, temperature: [t0, tEnd] }. Resolves to one
 * summary per data set and pipeline: per seed and as mean/std, the original's and the fine-tuned
 * networks' test accuracy and log-loss; `notes` lists what had to be worked around.
 */
export async function reproduce({ dir, backend, settings, log = () => {} }) {
  const manifest = JSON.parse(readFileSync(join(dir, 'reproduce.json'), 'utf8'));
  const summaries = [];
  const notes = new Set();
  for (const [name, info] of Object.entries(manifest.datasets)) {
    const ds = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    const { classes } = info;
    for (const [kind, fits] of Object.entries(info.pipelines)) {
      const perSeed = [];
      for (const fit of fits) {
        const pipeline = parseSklearn(readFileSync(join(dir, fit.file), 'utf8'));
        const split = Object.fromEntries(
          ['train', 'validation', 'test'].map((s) => [s, rows(ds, fit.input, ds.split[s])]),
        );
        const original = await evaluateHard(pipeline, split.test, classes, backend);
        // The compiled original is scikit-learn's pipeline: the same test predictions.
        if (Math.abs(original.accuracy - fit.sklearn.test.accuracy) > 1e-12)
          throw new Error(
            `${name} ${kind} seed ${fit.seed}: compiled test accuracy ${original.accuracy}, scikit-learn's ${fit.sklearn.test.accuracy}`,
          );
        let trained = pipeline;
        let data = split;
        const parts = splitAtEncoder(pipeline);
        if (parts) {
          const why = trainableError(pipeline, split.train.x, ds[fit.input][0].length, backend);
          if (why)
            notes.add(
              `${kind}: toTrainable's network cannot run the one-hot encoder (${why}); the encoder stays compiled and the network trains on its output`,
            );
          const encoder = compile(parts.encoder, { backend });
          const encode = async (s) => ({ x: (await encoder.predict(s.x))[parts.encoder.outputs[0]], y: s.y });
          data = {
            train: await encode(split.train),
            validation: await encode(split.validation),
            test: await encode(split.test),
          };
          encoder.dispose();
          trained = parts.rest;
        }
        const columns = trained.inputs[0].columns;
        const best = {};
        for (const lr of settings.lrs) {
          const t = await fineTune(trained, data, {
            ...settings,
            backend,
            seed: fit.seed,
            lr,
            columns,
            classes,
          });
          // The learning rate is chosen on validation, separately for the hard and the soft network.
          for (const k of ['soft', 'hard'])
            if (!(t[k].validationLoss >= best[k]?.validationLoss)) best[k] = { ...t[k], lr };
        }
        const tuned = await evaluateTuned(best, data.test, {
          backend,
          calibration: data.train.x,
          columns,
          classes,
        });
        if (parts) {
          // The served pipeline: encoder and trained rest compiled together, on the raw rows.
          const whole = await evaluateHard(parts.join(best.hard.pipeline), split.test, classes, backend);
          if (whole.accuracy !== tuned.hard.accuracy)
            throw new Error(
              `${name} ${kind}: rejoined pipeline's accuracy ${whole.accuracy}, the rest's ${tuned.hard.accuracy}`,
            );
        }
        perSeed.push({
          seed: fit.seed,
          original,
          ...tuned,
          chosen: { soft: pick(best.soft), hard: pick(best.hard) },
        });
        log(
          `${name} ${kind} seed ${fit.seed}: accuracy ${fmt(original.accuracy)} → hard ${fmt(tuned.hard.accuracy)} soft ${fmt(tuned.soft.accuracy)}; log-loss ${fmt(original.logLoss)} → hard ${fmt(tuned.hard.logLoss)} soft ${fmt(tuned.soft.logLoss)} (hard: lr ${best.hard.lr} epoch ${best.hard.epoch}; soft: lr ${best.soft.lr} epoch ${best.soft.epoch} t ${best.soft.temperature.toFixed(3)})`,
        );
      }
      const stat = (f) => ({ mean: mean(perSeed.map(f)), std: std(perSeed.map(f)) });
      summaries.push({
        dataset: name,
        pipeline: kind,
        seeds: perSeed.length,
        perSeed,
        test: Object.fromEntries(
          ['original', 'hard', 'soft'].map((m) => [
            m,
            { accuracy: stat((s) => s[m].accuracy), logLoss: stat((s) => s[m].logLoss) },
          ]),
        ),
      });
    }
  }
  return { summaries, notes: [...notes] };
}

const pick = ({ lr, epoch, temperature, validationLoss }) => ({ lr, epoch, temperature, validationLoss });
const fmt = (v) => v.toFixed(4);

/** The summaries as a table: mean ± std over seeds of test accuracy and log-loss. */
export function printReproduction({ summaries, notes }) {
  const pm = (s) => `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;
  const header = [
    'data set',
    'pipeline',
    'seeds',
    'metric (test)',
    'original',
    'fine-tuned hard',
    'fine-tuned soft',
  ];
  const body = summaries.flatMap((s) =>
    ['accuracy', 'logLoss'].map((m) => [
      s.dataset,
      s.pipeline,
      String(s.seeds),
      m === 'logLoss' ? 'log-loss' : m,
      pm(s.test.original[m]),
      pm(s.test.hard[m]),
      pm(s.test.soft[m]),
    ]),
  );
  printTable(header, body, 4);
  for (const n of notes) console.log(`note: ${n}`);
}
