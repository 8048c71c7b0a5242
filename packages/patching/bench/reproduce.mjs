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

/**
 * Inference FLOPs per byte (2 per weight use, plus attention scores and mixing) of a BLT whose patches
 * hold `meanPatch` bytes on average, over windows of S bytes: byte-side weights run once per byte,
 * patch-side ones (the latent transformer, both patch projections, the k patch queries of the
 * encoder's cross-attention and the k patch keys of the decoder's) once per patch.
 */
function bltFlopsPerByte(model, meanPatch, S) {
  const c = model.config;
  const k = c.crossAttnK;
  let perByte = 0;
  let perPatch = 0;
  for (const [name, p] of model.namedParameters()) {
    if (/tok_embeddings|encoder_hash_tok_embedding|norm/.test(name)) continue; // lookups and scales
    if (name.startsWith('global_transformer.') || name.includes('patch_embedding_projection'))
      perPatch += p.size;
    else if (/^local_encoder\.cross_attn_layers\.\d+\.w[qo]\./.test(name)) perPatch += k * p.size;
    else if (/^local_decoder\.cross_attn_layers\.\d+\.w[kv]\./.test(name)) perPatch += k * p.size;
    else perByte += p.size;
  }
  const visible = Math.min(c.window || S, S) / 2;
  const attention =
    attentionFlops(c.encoderLayers + c.decoderLayers, c.dimLocal, visible) +
    attentionFlops(c.globalLayers, c.dimGlobal, S / meanPatch / 2) / meanPatch +
    attentionFlops(
      model.local_encoder.cross_attn_layers.length + model.local_decoder.cross_attn_layers.length,
      c.dimLocal,
      k,
    );
  return 2 * (perByte + perPatch / meanPatch) + attention;
}

/** The same for the byte-level transformer: every weight and S/2 visible positions per byte. */
function byteFlopsPerByte(model, S) {
  let weights = 0;
  for (const [name, p] of model.namedParameters()) if (!/embed|norm/.test(name)) weights += p.size;
  return 2 * weights + attentionFlops(model.config.layers, model.config.dim, S / 2);
}

/** Attention FLOPs per position: 2 (scores) × 2 (mix) × dim × visible positions, per layer. */
const attentionFlops = (layers, dim, visible) => 4 * layers * dim * visible;

/** Ids [BOS, bytes+4] of S + 1 ids (inputs and targets), with the entropy at each id. */
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

/**
 * Patch starts over all S + 1 ids of a window, as the reference patches with include_next_token: a
 * start at S (decided by the entropy or byte at S − 1, so causal) closes the inputs' last patch.
 * Every scheme gives BOS a patch of its own, as the reference's decoder needs (for static patches
 * it pads with BOE ids to the same effect): static is BOS then fixed-size patches.
 */
function startsFor(scheme, w, S, o) {
  if (scheme === 'static') return [0, ...staticPatches(S, o.patchSize).starts.map((s) => s + 1)];
  if (scheme === 'space') return [...spacePatches(w.ids).starts];
  return [...entropyPatches(w.e, { threshold: o.threshold }).starts];
}

/** Mean bytes per patch of the inputs (starts before S). */
const meanSize = (rows, S) => (rows.length * S) / rows.reduce((n, s) => n + s.filter((x) => x < S).length, 0);

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
  const spaceMean = meanSize(
    sample.map((w) => [...spacePatches(w.ids).starts]),
    S,
  );
  const patchSize = Math.max(1, Math.round(spaceMean));
  const { threshold } = calibrateThreshold(
    sample.map((w) => w.e),
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
        patches += starts.reduce((n, s) => n + s.filter((x) => x < S).length, 0);
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
    const meanPatch =
      scheme === 'byte' ? 1 : scheme === 'static' ? S / Math.ceil(1 + S / patchSize) : spaceMean;
    const inferFlops = scheme === 'byte' ? byteFlopsPerByte(model, S) : bltFlopsPerByte(model, meanPatch, S);
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
