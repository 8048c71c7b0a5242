// The Byte Latent Transformer (arXiv 2412.09871; facebookresearch/blt bytelatent/model/blt.py): a
// local byte encoder (byte + hash n-gram embeddings, causal byte layers, patches pooled by
// cross-attention from max-pooled queries), a causal latent transformer over patches, and a local
// decoder whose bytes read their previous patch's latent state by cross-attention before every
// layer.
import {
  type CausalLMConfig,
  Embedding,
  Linear,
  Module,
  ModuleList,
  type ModuleOptions,
  MultiHeadAttention,
  RMSNorm,
  RoPE,
  TransformerBlock,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import { VOCAB_SIZE } from '../bytes.js';
import { PatchingError } from '../errors.js';
import type { HashConfig } from '../hash.js';
import { HashNgramEmbedding } from '../hash-embedding.js';
import { type PatchLayout, patchLayout } from './layout.js';

/** Sizes of a BLT model (blt-1b: local 1024 × 1 / 9 layers, global 2048 × 25). */
export interface BltConfig {
  dimLocal: number;
  dimGlobal: number;
  headsLocal: number;
  headsGlobal: number;
  encoderLayers: number;
  globalLayers: number;
  decoderLayers: number;
  /** Byte attention window of the local layers (reference 512). */
  window: number;
  /** Longest byte sequence (and patch sequence). */
  maxSeq: number;
  /** Hash n-gram embeddings on the encoder's input; none when absent. */
  hash?: HashConfig;
}

const block = (dim: number, heads: number, window: number, maxSeq: number, rope: RoPE, o: ModuleOptions) =>
  new TransformerBlock(
    { vocabSize: VOCAB_SIZE, dim, heads, window, maxSeq, normEps: 1e-5 } as CausalLMConfig,
    rope,
    o,
  );

/** A local decoder layer: cross-attention to the previous patch's state, then a causal byte block. */
class DecoderLayer extends Module {
  readonly cross_attn_norm: RMSNorm;
  readonly cross_attn: MultiHeadAttention;
  readonly block: TransformerBlock;
  constructor(c: BltConfig, rope: RoPE, o: ModuleOptions) {
    super();
    this.cross_attn_norm = this.child('cross_attn_norm', new RMSNorm(c.dimLocal, 1e-5, o));
    this.cross_attn = this.child(
      'cross_attn',
      new MultiHeadAttention({ dim: c.dimLocal, heads: c.headsLocal }, o),
    );
    this.block = this.child('block', block(c.dimLocal, c.headsLocal, c.window, c.maxSeq, rope, o));
  }
}

/**
 * BLT over byte ids [B, S] with patches given per row (starts from any patcher). `forward` gives
 * next-byte logits [B, S, 260]; position t sees bytes ≤ t only (patch states reach a byte only from
 * earlier patches), so `loss` trains it like any causal LM.
 */
export class BltModel extends Module {
  readonly tok_embeddings: Embedding;
  readonly encoder_hash_tok_embedding?: HashNgramEmbedding;
  readonly encoder_layers: TransformerBlock[];
  readonly patch_cross_attn: MultiHeadAttention;
  readonly to_global: Linear;
  readonly global_layers: TransformerBlock[];
  readonly from_global: Linear;
  readonly decoder_layers: DecoderLayer[];
  readonly norm: RMSNorm;
  readonly output: Linear;
  private readonly ropes: RoPE[];

  constructor(
    readonly config: BltConfig,
    o: ModuleOptions = {},
  ) {
    super();
    const c = config;
    if (c.dimLocal % c.headsLocal || c.dimGlobal % c.headsGlobal)
      throw new PatchingError(
        `BltModel: dims must be multiples of heads, got ${c.dimLocal}/${c.headsLocal}, ${c.dimGlobal}/${c.headsGlobal}`,
      );
    const backend = o.backend;
    const local = new RoPE(c.dimLocal / c.headsLocal, c.maxSeq, 10000, backend);
    const latent = new RoPE(c.dimGlobal / c.headsGlobal, c.maxSeq, 10000, backend);
    this.ropes = [local, latent];
    this.tok_embeddings = this.child('tok_embeddings', new Embedding(VOCAB_SIZE, c.dimLocal, o));
    if (c.hash)
      this.encoder_hash_tok_embedding = this.child(
        'encoder_hash_tok_embedding',
        new HashNgramEmbedding(c.hash, c.dimLocal, o),
      );
    // Numbered submodules (`encoder_layers.0. …`), as the reference's ModuleLists.
    const layers = <M extends Module>(name: string, n: number, f: () => M): M[] => {
      const list = this.child(name, new ModuleList());
      return Array.from({ length: n }, (_, i) => list.add(String(i), f()));
    };
    this.encoder_layers = layers('encoder_layers', c.encoderLayers, () =>
      block(c.dimLocal, c.headsLocal, c.window, c.maxSeq, local, o),
    );
    this.patch_cross_attn = this.child(
      'patch_cross_attn',
      new MultiHeadAttention({ dim: c.dimLocal, heads: c.headsLocal }, o),
    );
    this.to_global = this.child('to_global', new Linear(c.dimLocal, c.dimGlobal, { ...o, bias: false }));
    this.global_layers = layers('global_layers', c.globalLayers, () =>
      block(c.dimGlobal, c.headsGlobal, 0, c.maxSeq, latent, o),
    );
    this.from_global = this.child('from_global', new Linear(c.dimGlobal, c.dimLocal, { ...o, bias: false }));
    this.decoder_layers = layers('decoder_layers', c.decoderLayers, () => new DecoderLayer(c, local, o));
    this.norm = this.child('norm', new RMSNorm(c.dimLocal, 1e-5, o));
    this.output = this.child('output', new Linear(c.dimLocal, VOCAB_SIZE, { ...o, bias: false }));
  }

  /** Patch states [B, P, dimGlobal] after the latent transformer, from encoder byte states [B, S, D]. */
  private latent(h: T.Tensor, layout: PatchLayout, B: number): T.Tensor {
    const D = this.config.dimLocal;
    const bytes = T.embedding(T.reshape(h, [-1, D]), layout.members); // [B·P, L, D]
    // Queries start as the max over each patch's bytes (padding excluded).
    const pad = T.unsqueeze(layout.padding, -1);
    const query = T.max(T.where(pad, -1e30, bytes), 1, true); // [B·P, 1, D]
    const pooled = T.add(
      query,
      this.patch_cross_attn.forward(query, { context: bytes, keyPaddingMask: layout.padding }),
    );
    let g = this.to_global.forward(T.reshape(pooled, [B, layout.patches, D]));
    for (const layer of this.global_layers) g = layer.forward(g);
    return g;
  }

  /** Next-byte logits [B, S, 260] of ids [B, S] cut into patches at `starts` (per row). */
  forward(ids: T.Tensor, starts: ArrayLike<number>[]): T.Tensor {
    const [B, S] = ids.shape;
    if (starts.length !== B)
      throw new PatchingError(
        `BltModel: starts must have one row per batch row (${B}), got ${starts.length}`,
      );
    const layout = patchLayout(starts, S, ids.backend);
    const D = this.config.dimLocal;
    let h = this.tok_embeddings.forward(ids);
    if (this.encoder_hash_tok_embedding) h = T.add(h, this.encoder_hash_tok_embedding.forward(ids));
    for (const layer of this.encoder_layers) h = layer.forward(h);
    const g = this.from_global.forward(this.latent(h, layout, B)); // [B, P, D]
    // Byte t reads the state of the patch before its own: prepend an empty patch per row.
    const shifted = T.concat([T.zeros([B, 1, D], { backend: ids.backend }), g], 1);
    const context = T.reshape(T.embedding(T.reshape(shifted, [-1, D]), layout.previous), [B * S, 1, D]);
    let x = h;
    for (const layer of this.decoder_layers) {
      const q = T.reshape(layer.cross_attn_norm.forward(x), [B * S, 1, D]);
      x = T.add(x, T.reshape(layer.cross_attn.forward(q, { context }), [B, S, D]));
      x = layer.block.forward(x);
    }
    return this.output.forward(this.norm.forward(x));
  }

  /** Mean next-byte cross-entropy of ids [B, S + 1], patched at `starts` (over the first S ids). */
  loss(ids: T.Tensor, starts: ArrayLike<number>[]): T.Tensor {
    const S = ids.shape[1] - 1;
    const logits = this.forward(T.narrow(ids, 1, 0, S), starts);
    return T.crossEntropy(logits, T.contiguous(T.narrow(ids, 1, 1, S)));
  }

  override dispose(): void {
    super.dispose();
    for (const r of this.ropes) r.dispose();
  }
}
