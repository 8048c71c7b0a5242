// The Byte Latent Transformer (arXiv 2412.09871) as facebookresearch/blt's ByteLatentTransformer
// computes it (bytelatent/model/blt.py, local_models.py, latent_transformer.py): a local byte
// encoder whose patches are pooled and refined by cross-attention, a causal latent transformer over
// patches, and a local decoder whose bytes read the latest finished patch by cross-attention.
import {
  Embedding,
  Linear,
  Module,
  ModuleList,
  type ModuleOptions,
  RMSNorm,
  RoPE,
  TransformerBlock,
} from '@tessera/nn';
import * as T from '@tessera/tensor';
import { EOS_ID, VOCAB_SIZE } from '../bytes.js';
import { PatchingError } from '../errors.js';
import { HashNgramEmbedding } from '../hash-embedding.js';
import { type BltConfig, ffnHidden, type ResolvedBltConfig, resolveBltConfig } from './config.js';
import { CrossAttention } from './cross-attention.js';
import { type PatchLayout, patchLayout } from './layout.js';

/** A part of the model that owns numbered lists of layers (`layers.0. …`, as the reference's ModuleLists). */
abstract class Stack extends Module {
  protected list<M extends Module>(name: string, n: number, make: () => M): M[] {
    const l = this.child(name, new ModuleList());
    return Array.from({ length: n }, (_, i) => l.add(String(i), make()));
  }

  /** `layers`: pre-norm causal blocks (RoPE, SwiGLU of the reference's width, RMSNorm). */
  protected blocks(
    c: ResolvedBltConfig,
    shape: { n: number; dim: number; heads: number; kvHeads?: number; window: number },
    rope: RoPE,
    o: ModuleOptions,
  ): TransformerBlock[] {
    const { n, dim, heads, kvHeads, window } = shape;
    const block = {
      vocabSize: VOCAB_SIZE,
      dim,
      layers: n,
      heads,
      kvHeads,
      window,
      maxSeq: rope.maxPositions,
    };
    const hidden = ffnHidden(dim, c.multipleOf, c.ffnDimMultiplier);
    return this.list(
      'layers',
      n,
      () => new TransformerBlock({ ...block, hidden, normEps: c.normEps }, rope, o),
    );
  }
}

/**
 * The "double residual" of the reference: its CrossAttention returns x + out and every caller adds x
 * once more, so the released weights were trained on 2x + out. Kept as is.
 */
export const crossResidual = (x: T.Tensor, crossed: T.Tensor): T.Tensor => T.add(x, crossed);

/** Byte embeddings, causal byte layers, and the patch queries they are pooled into. */
export class LocalEncoder extends Stack {
  readonly tok_embeddings: Embedding;
  readonly layers: TransformerBlock[];
  readonly patch_embedding_projection: Linear;
  readonly cross_attn_layers: CrossAttention[];

  constructor(
    readonly c: ResolvedBltConfig,
    readonly rope: RoPE,
    o: ModuleOptions,
  ) {
    super();
    const D = c.dimLocal;
    this.tok_embeddings = this.child('tok_embeddings', new Embedding(VOCAB_SIZE, D, o));
    this.layers = this.blocks(
      c,
      { n: c.encoderLayers, dim: D, heads: c.encoderHeads, kvHeads: c.kvHeadsLocal, window: c.window },
      rope,
      o,
    );
    this.patch_embedding_projection = this.child(
      'patch_embedding_projection',
      new Linear(D, D * c.crossAttnK, { ...o, bias: false }),
    );
    const n = c.crossAttnAllLayersEncoder ? c.encoderLayers : 1;
    this.cross_attn_layers = this.list(
      'cross_attn_layers',
      n,
      () => new CrossAttention(D, c.crossAttnHeads, c.normEps, o),
    );
  }

  /** Which cross-attention layer follows encoder layer i, if any. */
  crossAfter(i: number): CrossAttention | undefined {
    if (this.c.crossAttnAllLayersEncoder) return this.cross_attn_layers[i];
    return i === this.layers.length - 1 ? this.cross_attn_layers[0] : undefined;
  }

  /**
   * The first queries of patches whose byte states are `bytes` [N, L, D] (padding [N, L]): pooled
   * (0 for a patch without bytes, as the reference's scatter_reduce onto zeros), projected to k
   * queries each: [N, k, D].
   */
  queries(bytes: T.Tensor, padding: T.Tensor): T.Tensor {
    const [N, , D] = bytes.shape;
    const pad = T.unsqueeze(padding, -1);
    const empty = T.narrow(pad, 1, 0, 1); // a patch's first slot is padding only when it has no bytes
    const mode = this.c.pooling;
    let pooled: T.Tensor;
    if (mode === 'avg') {
      const count = T.sum(T.sub(1, T.cast(pad, 'f32')), 1, true);
      pooled = T.div(T.sum(T.where(pad, 0, bytes), 1, true), T.maximum(count, 1));
    } else if (mode === 'max') pooled = T.max(T.where(pad, -1e30, bytes), 1, true);
    else pooled = T.min(T.where(pad, 1e30, bytes), 1, true);
    pooled = T.where(empty, 0, pooled);
    return T.reshape(this.patch_embedding_projection.forward(pooled), [N, this.c.crossAttnK, D]);
  }
}

/** The causal transformer over patch states (no final norm, as the reference's GlobalTransformer). */
export class GlobalTransformer extends Stack {
  readonly token_embedding_projection?: Linear;
  readonly layers: TransformerBlock[];

  constructor(c: ResolvedBltConfig, rope: RoPE, o: ModuleOptions) {
    super();
    const input = c.dimLocal * c.crossAttnK;
    if (input !== c.dimGlobal)
      this.token_embedding_projection = this.child(
        'token_embedding_projection',
        new Linear(input, c.dimGlobal, { ...o, bias: false }),
      );
    this.layers = this.blocks(
      c,
      { n: c.globalLayers, dim: c.dimGlobal, heads: c.globalHeads, kvHeads: c.kvHeadsGlobal, window: 0 },
      rope,
      o,
    );
  }

  /** Patch embeddings [B, P, k·D] into the latent width [B, P, G]. */
  project(x: T.Tensor): T.Tensor {
    return this.token_embedding_projection ? this.token_embedding_projection.forward(x) : x;
  }
}

/** Causal byte layers that read patch states by cross-attention, then the next-byte head. */
export class LocalDecoder extends Stack {
  readonly patch_embedding_projection?: Linear;
  readonly cross_attn_layers: CrossAttention[];
  readonly layers: TransformerBlock[];
  readonly norm: RMSNorm;
  readonly output: Linear;

  constructor(
    readonly c: ResolvedBltConfig,
    rope: RoPE,
    o: ModuleOptions,
  ) {
    super();
    const D = c.dimLocal;
    if (c.dimGlobal !== D)
      this.patch_embedding_projection = this.child(
        'patch_embedding_projection',
        new Linear(c.dimGlobal, D * c.crossAttnK, { ...o, bias: false }),
      );
    const n = c.crossAttnAllLayersDecoder ? c.decoderLayers : 1;
    this.cross_attn_layers = this.list(
      'cross_attn_layers',
      n,
      () => new CrossAttention(D, c.crossAttnHeads, c.normEps, o),
    );
    this.layers = this.blocks(
      c,
      { n: c.decoderLayers, dim: D, heads: c.decoderHeads, kvHeads: c.kvHeadsLocal, window: c.window },
      rope,
      o,
    );
    this.norm = this.child('norm', new RMSNorm(D, c.normEps, o));
    this.output = this.child('output', new Linear(D, VOCAB_SIZE, { ...o, bias: false }));
  }

  /** Latent patch states [.., G] as the k keys each byte reads: [.., k·D]. */
  keys(g: T.Tensor): T.Tensor {
    return this.patch_embedding_projection ? this.patch_embedding_projection.forward(g) : g;
  }
}

/**
 * BLT over byte ids [B, S] with patches given per row (starts from any patcher). `forward` gives
 * next-byte logits [B, S, 260]; position t depends on ids ≤ t only, so `loss` trains it like any
 * causal LM. Parameter names are the reference's (`local_encoder.cross_attn_layers.0.wq.weight`,
 * `encoder_hash_tok_embedding.0.weight`, …) except inside transformer blocks, which use
 * @tessera/nn's Hugging Face names; {@link bltFromReferenceNames} converts a reference checkpoint.
 */
export class BltModel extends Module {
  readonly config: ResolvedBltConfig;
  readonly local_encoder: LocalEncoder;
  readonly global_transformer: GlobalTransformer;
  readonly local_decoder: LocalDecoder;
  readonly encoder_hash_tok_embedding?: HashNgramEmbedding;
  private readonly ropes: RoPE[];

  constructor(config: BltConfig, o: ModuleOptions = {}) {
    super();
    const c = resolveBltConfig(config);
    this.config = c;
    const rope = (dim: number, heads: number, n: number) => new RoPE(dim / heads, n, c.ropeTheta, o.backend);
    const ropeEnc = rope(c.dimLocal, c.encoderHeads, c.maxSeq);
    const ropeDec = c.decoderHeads === c.encoderHeads ? ropeEnc : rope(c.dimLocal, c.decoderHeads, c.maxSeq);
    const ropeGlobal = rope(c.dimGlobal, c.globalHeads, c.maxPatches);
    this.ropes = [...new Set([ropeEnc, ropeDec, ropeGlobal])];
    this.local_encoder = this.child('local_encoder', new LocalEncoder(c, ropeEnc, o));
    this.global_transformer = this.child('global_transformer', new GlobalTransformer(c, ropeGlobal, o));
    this.local_decoder = this.child('local_decoder', new LocalDecoder(c, ropeDec, o));
    if (c.hash)
      this.encoder_hash_tok_embedding = this.child(
        'encoder_hash_tok_embedding',
        new HashNgramEmbedding(c.hash, c.dimLocal, o),
      );
  }

  /** Byte embeddings [B, S, D] of ids [B, S]: the byte table plus the hash n-gram tables. */
  embed(ids: T.Tensor): T.Tensor {
    const h = this.local_encoder.tok_embeddings.forward(ids);
    return this.encoder_hash_tok_embedding ? T.add(h, this.encoder_hash_tok_embedding.forward(ids)) : h;
  }

  /**
   * Next-byte logits [B, S, 260] of ids [B, S] cut into patches at `starts`, one ascending list per
   * row starting at 0. A row's list may end with S: the id after the row starts a patch (as the
   * reference patches with include_next_token), so the row's last byte reads its own finished patch.
   */
  forward(ids: T.Tensor, starts: ArrayLike<number>[]): T.Tensor {
    const [B, S] = ids.shape;
    if (ids.rank !== 2 || ids.dtype !== 'i32')
      throw new PatchingError(
        `BltModel: ids must be i32 [batch, seq], got ${ids.dtype} [${ids.shape.join(', ')}]`,
      );
    if (starts.length !== B)
      throw new PatchingError(
        `BltModel: starts must have one row per batch row (${B}), got ${starts.length}`,
      );
    if (S > this.config.maxSeq)
      throw new PatchingError(`BltModel: ${S} ids exceed maxSeq ${this.config.maxSeq}`);
    const layout = patchLayout(starts, S, ids.backend);
    if (layout.patches > this.config.maxPatches) {
      for (const t of [layout.members, layout.padding, layout.reads]) t.dispose();
      throw new PatchingError(
        `BltModel: ${layout.patches} patches exceed maxPatches ${this.config.maxPatches}`,
      );
    }
    const docs = this.documents(ids, layout);
    const h = this.encode(ids, layout, docs.local);
    return this.decode(
      h.bytes,
      this.latent(h.patches, B, layout.patches, docs.global),
      layout,
      B,
      docs.local,
    );
  }

  /**
   * Document ids for the block-causal masks (each undefined when off): a byte's is the number of EOS
   * before it, a patch's the number of earlier patches holding an EOS — so a document ends with its
   * EOS, as the reference's tokens_to_seqlen cuts it.
   */
  private documents(ids: T.Tensor, layout: PatchLayout): { local?: T.Tensor; global?: T.Tensor } {
    const c = this.config;
    if (!c.blockCausalLocal && !c.blockCausalGlobal) return {};
    const before = (flags: T.Tensor) => T.cast(T.sub(T.cumsum(flags, 1), flags), 'i32');
    const eos = T.cast(T.eq(ids, EOS_ID), 'f32'); // [B, S]
    const local = c.blockCausalLocal ? before(eos) : undefined;
    if (!c.blockCausalGlobal) return { local };
    const inPatch = T.where(
      T.unsqueeze(layout.padding, -1),
      0,
      T.embedding(T.reshape(eos, [-1, 1]), layout.members),
    ); // [B·P, L, 1]
    const held = T.reshape(T.max(inPatch, [1, 2]), [ids.shape[0], layout.patches]);
    return { local, global: before(held) };
  }

  /** Encoder byte states [B, S, D] and the patch embeddings [B·P, k, D] pooled from them. */
  private encode(
    ids: T.Tensor,
    layout: PatchLayout,
    segments?: T.Tensor,
  ): { bytes: T.Tensor; patches: T.Tensor } {
    const enc = this.local_encoder;
    const D = this.config.dimLocal;
    let h = this.embed(ids);
    let patches: T.Tensor | undefined;
    enc.layers.forEach((layer, i) => {
      h = layer.forward(h, { segments });
      const cross = enc.crossAfter(i);
      if (!cross) return;
      const bytes = T.embedding(T.reshape(h, [-1, D]), layout.members); // [B·P, L, D]
      patches ??= enc.queries(bytes, layout.padding);
      patches = crossResidual(patches, cross.forward(patches, bytes, layout.padding));
    });
    return { bytes: h, patches: patches! };
  }

  /** The latent transformer over patch embeddings [B·P, k, D]: states [B, P, G]. */
  private latent(patches: T.Tensor, B: number, P: number, segments?: T.Tensor): T.Tensor {
    const g = this.global_transformer;
    let x = g.project(T.reshape(patches, [B, P, -1]));
    for (const layer of g.layers) x = layer.forward(x, { segments });
    return x;
  }

  /** Decoder over encoder byte states [B, S, D], each byte reading its patch's keys: logits. */
  private decode(
    bytes: T.Tensor,
    latent: T.Tensor,
    layout: PatchLayout,
    B: number,
    segments?: T.Tensor,
  ): T.Tensor {
    const dec = this.local_decoder;
    const [, S, D] = bytes.shape;
    const k = this.config.crossAttnK;
    const P1 = layout.patches + 1;
    // Each row's patch keys led by an empty state (zeros: its keys and values are 0, so it adds 0).
    const keys = dec.keys(latent); // [B, P, k·D]
    const withEmpty = T.reshape(T.concat([T.zeros([B, 1, k * D], { backend: bytes.backend }), keys], 1), [
      B * P1,
      k,
      D,
    ]);
    // Keys and values once per patch, then gathered for each byte: [B·S, heads, k, d].
    const perByte = (t: T.Tensor) => {
      const [, H, , d] = t.shape;
      const flat = T.reshape(T.transpose(t, 1, 2), [B * P1, k * H * d]);
      return T.transpose(T.reshape(T.embedding(flat, layout.reads), [B * S, k, H, d]), 1, 2);
    };
    let x = bytes;
    dec.layers.forEach((layer, i) => {
      const cross = dec.cross_attn_layers[i];
      if (cross) {
        const kv = cross.keysValues(withEmpty);
        const q = T.reshape(x, [B * S, 1, D]);
        x = crossResidual(x, T.reshape(cross.attend(q, { k: perByte(kv.k), v: perByte(kv.v) }), [B, S, D]));
      }
      x = layer.forward(x, { segments });
    });
    return dec.output.forward(dec.norm.forward(x));
  }

  /** Mean next-byte cross-entropy of ids [B, S + 1]; `starts` patch all S + 1 ids (values ≤ S). */
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
