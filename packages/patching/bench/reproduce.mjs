// BLT's central claim at small scale on real text (arXiv 2412.09871 §6–7), as one function the
// benchmark runs at full size and a test runs small: at matched training FLOPs, BLT with entropy
// patches vs BLT with static and with space patches of the same mean size vs a plain byte-level
// transformer — held-out bits per byte, inference FLOPs per byte, mean patch size — and bits per
// byte on noised text (case flips, dropped characters).
import { mobyDick } from '@tessera/corpora';
import { AdamW, CausalLM, splitBytes } from '@tessera/nn';
import {
  BltModel,
  byteEntropies,
  calibrateThreshold,
  entropyPatches,
  spacePatches,
  staticPatches,
  tinyEntropyModel,
} from '@tessera/patching';
import * as T from '@tessera/tensor';

const BOS = 1;
const OFFSET = 4;

/** Deterministic noise: flip the case of letters with probability p, drop characters with probability p. */
export function noised(bytes, p, seed = 7) {
  let a = seed >>> 0;
  const r = () => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a / 2 ** 32;
  };
  const out = [];
  for (const b of bytes) {
    if (r() < p) continue;
    const letter = (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
    out.push(letter && r() < p ? b ^ 32 : b);
  }
  return Uint8Array.from(out);
}

/** Parameters a byte (or a patch) passes through, per forward, for FLOP counts (2 FLOPs per weight use). */
function perByteWeights(model, meanPatch) {
  let local = 0;
  let latent = 0;
  for (const [name, p] of model.namedParameters()) {
    if (name.includes('embed') || name.includes('tok_embeddings') || name.includes('hash')) continue; // lookups
    if (name.startsWith('global_layers') || name.startsWith('to_global')) latent += p.size;
    else if (name.startsWith('patch_cross_attn') && !name.includes('q_proj'))
      local += p.size; // keys/values per byte
    else if (name.startsWith('patch_cross_attn'))
      latent += p.size; // one query per patch
    else local += p.size;
  }
  return local + latent / meanPatch;
}

/** Attention FLOPs per position: 2 (scores) × 2 (mix) × dim × visible positions, per layer. */
const attentionFlops = (layers, dim, visible) => 4 * layers * dim * visible;

/** Ids [BOS, bytes+4] of a window, with the patch starts of the chosen scheme. */
function windows(bytes, entropies, seq, count, seed) {
  let a = seed >>> 0;
  const out = [];
  for (let i = 0; i < count; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    const at = a % (bytes.length - seq - 1);
    const ids = [BOS, ...[...bytes.subarray(at, at + seq)].map((b) => b + OFFSET)];
    // Entropy i predicts id i + 1: ids[0] = BOS uses the entropy before the window's first byte.
    const e = entropies ? Float32Array.from({ length: seq + 1 }, (_, k) => entropies[at + k]) : undefined;
    out.push({ ids, e });
  }
  return out;
}

function startsFor(scheme, w, S, o) {
  const ids = w.ids.slice(0, S);
  if (scheme === 'static') return [...staticPatches(S, o.patchSize).starts];
  if (scheme === 'space') return [...spacePatches(ids).starts];
  return [...entropyPatches(w.e.subarray(0, S), { threshold: o.threshold }).starts];
}

/**
 * @param {{ backend: object, seq: number, batch: number, blt: object, byteModel: object, steps: number,
 *   lr: number, corpusBytes: number, evalWindows: number, noise: number, log?: (s: string) => void }} o
 */
export async function reproduce(o) {
  const log = o.log ?? (() => {});
  const { backend, seq: S, batch } = o;
  const { train, test } = splitBytes(mobyDick(), 0.02); // the entropy model's own split
  // Skip the front matter (etymology, extracts): prose like the held-out chapters.
  const corpus = train.subarray(60_000, 60_000 + o.corpusBytes);
  const heldOut = test.subarray(0, o.evalWindows * (S + 1) + 1);
  const noisy = noised(heldOut, o.noise);
  // Entropies over the text once (contexts of up to 512 bytes), indexed so entropies[k] predicts byte k.
  const em = await tinyEntropyModel({ backend });
  const t0 = performance.now();
  const ent = async (bytes) => (await byteEntropies(em, bytes, { batchSize: 8 })).subarray(0, bytes.length);
  const [eTrain, eTest, eNoisy] = [await ent(corpus), await ent(heldOut), await ent(noisy)];
  log(
    `entropies of ${corpus.length + heldOut.length + noisy.length} bytes in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  em.dispose();

  // Space patching sets the mean size; static and entropy patching are matched to it.
  const sample = windows(corpus, eTrain, S, 64, 99);
  const spaceMean =
    (sample.length * S) / sample.reduce((n, w) => n + spacePatches(w.ids.slice(0, S)).starts.length, 0);
  const patchSize = Math.max(1, Math.round(spaceMean));
  const { threshold } = calibrateThreshold(
    sample.map((w) => w.e.subarray(0, S)),
    spaceMean,
  );
  const opts = { patchSize, threshold };
  log(
    `mean patch size: space ${spaceMean.toFixed(2)}; static ${patchSize}; entropy θ = ${threshold.toFixed(3)}`,
  );

  const bpb = async (model, scheme, text, e) => {
    const ws = [];
    for (let i = 0; i + S + 1 <= text.length && ws.length < o.evalWindows; i += S) {
      ws.push({
        ids: [BOS, ...[...text.subarray(i, i + S)].map((b) => b + OFFSET)],
        e: e ? Float32Array.from({ length: S + 1 }, (_, k) => e[i + k]) : undefined,
      });
    }
    let nats = 0;
    let sizes = 0;
    let patches = 0;
    for (let i = 0; i < ws.length; i += 8) {
      const rows = ws.slice(i, i + 8);
      const ids = T.tensor(
        rows.map((w) => w.ids),
        { dtype: 'i32', backend },
      );
      const starts = scheme === 'byte' ? null : rows.map((w) => startsFor(scheme, w, S, opts));
      if (starts) {
        patches += starts.reduce((n, s) => n + s.length, 0);
        sizes += rows.length * S;
      }
      const l = T.tidy(() => T.noGrad(() => (starts ? model.loss(ids, starts) : model.loss(ids))));
      nats += (await l.item()) * rows.length;
      l.dispose();
      ids.dispose();
    }
    return { bpb: nats / ws.length / Math.LN2, meanPatch: patches ? sizes / patches : 1 };
  };

  const results = {};
  const arms = ['entropy', 'static', 'space', 'byte'];
  let budget; // training FLOPs of the entropy arm, which the others match
  for (const scheme of arms) {
    const g = { backend, generator: new T.Generator(0) };
    const model =
      scheme === 'byte'
        ? new CausalLM({ vocabSize: 260, maxSeq: S + 1, normEps: 1e-5, ...o.byteModel }, g)
        : new BltModel({ ...o.blt, maxSeq: S + 1 }, g);
    const meanPatch = scheme === 'byte' ? 1 : scheme === 'static' ? patchSize : spaceMean;
    const dim = scheme === 'byte' ? o.byteModel.dim : o.blt.dimLocal;
    const layers = scheme === 'byte' ? o.byteModel.layers : o.blt.encoderLayers + o.blt.decoderLayers;
    const window = scheme === 'byte' ? S : Math.min(o.blt.window, S);
    const inferFlops =
      2 * perByteWeights(model, meanPatch) +
      attentionFlops(layers, dim, window / 2) +
      (scheme === 'byte'
        ? 0
        : attentionFlops(o.blt.globalLayers, o.blt.dimGlobal, S / meanPatch / 2) / meanPatch);
    const stepFlops = 3 * inferFlops * batch * S;
    budget ??= stepFlops * o.steps;
    const steps = Math.max(1, Math.round(budget / stepFlops));
    const opt = new AdamW(model.parameters(), { lr: o.lr, weightDecay: 0 });
    const data = windows(corpus, eTrain, S, steps * batch, 1);
    const t1 = performance.now();
    for (let s = 0; s < steps; s++) {
      const rows = data.slice(s * batch, (s + 1) * batch);
      const ids = T.tensor(
        rows.map((w) => w.ids),
        { dtype: 'i32', backend },
      );
      opt.zeroGrad();
      const loss = T.tidy(() => {
        const l =
          scheme === 'byte'
            ? model.loss(ids)
            : model.loss(
                ids,
                rows.map((w) => startsFor(scheme, w, S, opts)),
              );
        l.backward();
        return l;
      });
      opt.step();
      if (s % 50 === 0 || s === steps - 1)
        log(`  ${scheme} step ${s} loss ${(await loss.item()).toFixed(3)}`);
      loss.dispose();
      ids.dispose();
    }
    const seconds = (performance.now() - t1) / 1000;
    const clean = await bpb(model, scheme, heldOut, eTest);
    const dirty = await bpb(model, scheme, noisy, eNoisy);
    results[scheme] = {
      bpb: clean.bpb,
      noisedBpb: dirty.bpb,
      meanPatch: clean.meanPatch,
      inferFlopsPerByte: inferFlops,
      trainSteps: steps,
      trainFlops: stepFlops * steps,
      seconds,
    };
    log(`${scheme}: ${JSON.stringify(results[scheme])}`);
    opt.dispose();
    model.dispose();
  }
  return { results, spaceMean, patchSize, threshold };
}
