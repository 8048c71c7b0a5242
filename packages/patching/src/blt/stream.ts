// Incremental BLT: bytes are fed one at a time through KV caches in the local encoder and decoder;
// a patch goes through the latent transformer once, when the next patch starts (its state is only
// ever read by later patches' bytes). Nothing earlier is recomputed.
import { KVCache } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { PatchingError } from '../errors.js';
import { hashNgrams } from '../hash.js';
import type { BltModel } from './model.js';

const HASH_CONTEXT = 8;

/** Feeds one id at a time; `push` returns the next-byte logits (260) after it. Batch 1. */
export class BltStream {
  private readonly enc: KVCache[];
  private readonly dec: KVCache[];
  private readonly lat: KVCache[];
  private patch: T.Tensor[] = [];
  private previous: T.Tensor;
  private readonly recent: number[] = [];
  private position = 0;

  constructor(readonly model: BltModel) {
    const backend = model.parameters()[0].backend;
    this.enc = model.encoder_layers.map(() => new KVCache());
    this.dec = model.decoder_layers.map(() => new KVCache());
    this.lat = model.global_layers.map(() => new KVCache());
    this.previous = T.keep(T.zeros([1, 1, model.config.dimLocal], { backend }));
  }

  /** Ids fed so far. */
  get length(): number {
    return this.position;
  }

  /**
   * Feeds `id`; `startsPatch` says whether it opens a new patch (the first id always does). Returns
   * the logits for the id after it.
   */
  async push(id: number, startsPatch: boolean): Promise<Float32Array> {
    if (this.position === 0 && !startsPatch)
      throw new PatchingError('BltStream: the first id must start a patch');
    if (this.position >= this.model.config.maxSeq)
      throw new PatchingError(`BltStream: the model's maxSeq ${this.model.config.maxSeq} is reached`);
    const m = this.model;
    const backend = this.previous.backend;
    const logits = T.tidy(() =>
      T.noGrad(() => {
        if (startsPatch && this.patch.length) this.closePatch();
        this.recent.push(id);
        if (this.recent.length > HASH_CONTEXT) this.recent.shift();
        let h = m.tok_embeddings.forward(T.tensor([[id]], { dtype: 'i32', backend }));
        if (m.encoder_hash_tok_embedding) {
          // The hash of the n-gram ending here needs only the last few ids (left padding as a row start).
          const window = T.tensor([this.recent], { dtype: 'i32', backend });
          const all = m.encoder_hash_tok_embedding.forward(window);
          h = T.add(h, T.narrow(all, 1, this.recent.length - 1, 1));
        }
        m.encoder_layers.forEach((layer, i) => {
          h = layer.forward(h, { cache: this.enc[i] });
        });
        this.patch.push(T.keep(h));
        let x = h;
        m.decoder_layers.forEach((layer, i) => {
          x = T.add(
            x,
            layer.cross_attn.forward(layer.cross_attn_norm.forward(x), { context: this.previous }),
          );
          x = layer.block.forward(x, { cache: this.dec[i] });
        });
        return T.reshape(m.output.forward(m.norm.forward(x)), [-1]);
      }),
    );
    this.position++;
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    return out;
  }

  // The finished patch: pooled as in the batch forward, one step of the latent transformer.
  private closePatch(): void {
    const m = this.model;
    const bytes = T.concat(this.patch, 1); // [1, L, D]
    const query = T.max(bytes, 1, true);
    const pooled = T.add(query, m.patch_cross_attn.forward(query, { context: bytes }));
    let g = m.to_global.forward(pooled);
    m.global_layers.forEach((layer, i) => {
      g = layer.forward(g, { cache: this.lat[i] });
    });
    this.previous.dispose();
    this.previous = T.keep(m.from_global.forward(g));
    for (const t of this.patch) t.dispose();
    this.patch = [];
  }

  /** Frees caches and states. */
  dispose(): void {
    for (const c of [...this.enc, ...this.dec, ...this.lat]) c.dispose();
    for (const t of this.patch) t.dispose();
    this.previous.dispose();
  }
}
