// Incremental BLT: ids are fed one at a time through KV caches in the local encoder and decoder; a
// patch goes through the latent transformer once, as soon as it is known to be finished (the next id
// starts a new one), and from then on it is what the decoder's bytes read. Nothing is recomputed.
import { KVCache } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { EOS_ID } from '../bytes.js';
import { PatchingError } from '../errors.js';
import { type BltModel, crossResidual } from './model.js';

const HASH_CONTEXT = 8; // the longest n-gram a hash embedding reads

/** Feeds one id at a time; `push` returns the next-id logits (260) after it. Batch 1. */
export class BltStream {
  private readonly enc: KVCache[];
  private readonly dec: KVCache[];
  private readonly lat: KVCache[];
  /** The open patch's byte states after each encoder layer that a cross-attention follows. */
  private open: T.Tensor[][];
  /** Per decoder cross-attention: keys and values of the latest finished patch (of zeros before the first). */
  private context: { k: T.Tensor; v: T.Tensor }[];
  private readonly spent: T.Tensor[] = [];
  private readonly recent: number[] = [];
  /** Document ids of the ids fed and of the finished patches, for the block-causal masks. */
  private readonly byteDocs: number[] = [];
  private readonly patchDocs: number[] = [];
  /** EOS ids fed, finished patches that held one, and whether the open patch holds one. */
  private eosIds = 0;
  private eosPatches = 0;
  private openHoldsEos = false;

  constructor(readonly model: BltModel) {
    const backend = model.parameters()[0].backend;
    const { local_encoder: enc, local_decoder: dec, global_transformer: lat } = model;
    this.enc = enc.layers.map(() => new KVCache());
    this.dec = dec.layers.map(() => new KVCache());
    this.lat = lat.layers.map(() => new KVCache());
    this.open = enc.cross_attn_layers.map(() => []);
    const { crossAttnK: k, dimLocal: D } = model.config;
    this.context = T.tidy(() => this.contextOf(T.zeros([1, k, D], { backend })));
  }

  /** Ids fed so far. */
  get length(): number {
    return this.byteDocs.length;
  }

  /**
   * Feeds `id`. `endsPatch` says that the id after it starts a new patch (the reference decides this
   * from the entropy computed at this id), so this id's patch is finished and its state is what this
   * id's decoder reads. Returns the logits for the next id.
   */
  async push(id: number, endsPatch: boolean): Promise<Float32Array> {
    const m = this.model;
    if (!(Number.isInteger(id) && id >= 0 && id < 260))
      throw new PatchingError(`BltStream: id must be an integer in 0..259, got ${id}`);
    if (this.byteDocs.length >= m.config.maxSeq)
      throw new PatchingError(`BltStream: the model's maxSeq ${m.config.maxSeq} is reached`);
    if (endsPatch && this.patchDocs.length >= m.config.maxPatches)
      throw new PatchingError(`BltStream: the model's maxPatches ${m.config.maxPatches} is reached`);
    const backend = this.context[0].k.backend;
    const logits = T.tidy(() =>
      T.noGrad(() => {
        this.recent.push(id);
        if (this.recent.length > HASH_CONTEXT) this.recent.shift();
        // A document ends with its EOS: this id's document is the count of EOS before it.
        this.byteDocs.push(this.eosIds);
        if (id === EOS_ID) {
          this.eosIds++;
          this.openHoldsEos = true;
        }
        const segments = m.config.blockCausalLocal
          ? T.tensor([this.byteDocs], { dtype: 'i32', backend })
          : undefined;
        // The hash of the n-gram ending here needs only the last few ids (left padding as a row start).
        const window = T.tensor([this.recent], { dtype: 'i32', backend });
        let h = T.narrow(m.embed(window), 1, this.recent.length - 1, 1);
        let slot = 0;
        m.local_encoder.layers.forEach((layer, i) => {
          h = layer.forward(h, { cache: this.enc[i], segments });
          if (m.local_encoder.crossAfter(i)) this.open[slot++].push(T.keep(h));
        });
        if (endsPatch) this.closePatch();
        let x = h;
        m.local_decoder.layers.forEach((layer, i) => {
          const cross = m.local_decoder.cross_attn_layers[i];
          if (cross) x = crossResidual(x, cross.attend(x, this.context[i]));
          x = layer.forward(x, { cache: this.dec[i], segments });
        });
        return T.reshape(m.local_decoder.output.forward(m.local_decoder.norm.forward(x)), [-1]);
      }),
    );
    // States of a patch closed above were still in use by this id's decoder: free them only now.
    for (const t of this.spent.splice(0)) t.dispose();
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    return out;
  }

  // The finished patch: pooled and cross-attended as in the batch forward, one latent step.
  private closePatch(): void {
    const m = this.model;
    const enc = m.local_encoder;
    const { crossAttnK: k, dimLocal: D } = m.config;
    let patches: T.Tensor | undefined;
    enc.cross_attn_layers.forEach((cross, s) => {
      const bytes = T.concat(this.open[s], 1); // [1, L, D]
      const padding = T.zeros([1, bytes.shape[1]], { dtype: 'u8', backend: bytes.backend });
      patches ??= enc.queries(bytes, padding);
      patches = crossResidual(patches, cross.forward(patches, bytes, padding));
    });
    this.patchDocs.push(this.eosPatches);
    if (this.openHoldsEos) this.eosPatches++;
    this.openHoldsEos = false;
    const segments = m.config.blockCausalGlobal
      ? T.tensor([this.patchDocs], { dtype: 'i32', backend: patches!.backend })
      : undefined;
    let g = m.global_transformer.project(T.reshape(patches!, [1, 1, k * D]));
    m.global_transformer.layers.forEach((layer, i) => {
      g = layer.forward(g, { cache: this.lat[i], segments });
    });
    this.spent.push(...this.context.flatMap((c) => [c.k, c.v]));
    this.context = this.contextOf(T.reshape(m.local_decoder.keys(g), [1, k, D]));
    for (const states of this.open) this.spent.push(...states.splice(0));
  }

  /** What each decoder cross-attention reads of a patch's keys [1, k, D], kept (call inside a tidy). */
  private contextOf(keys: T.Tensor): { k: T.Tensor; v: T.Tensor }[] {
    return T.noGrad(() =>
      this.model.local_decoder.cross_attn_layers.map((cross) => {
        const { k, v } = cross.keysValues(keys);
        return { k: T.keep(k), v: T.keep(v) };
      }),
    );
  }

  /** Frees caches and states. */
  dispose(): void {
    for (const c of [...this.enc, ...this.dec, ...this.lat]) c.dispose();
    for (const states of this.open) for (const t of states) t.dispose();
    for (const t of [...this.spent, ...this.context.flatMap((c) => [c.k, c.v])]) t.dispose();
  }
}
