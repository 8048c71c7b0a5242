import { Embedding, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { checkHashConfig, type HashConfig, hashNgrams } from './hash.js';

/**
 * The sum of hash n-gram embeddings BLT adds to each byte's embedding: one table per (hash
 * function, n-gram size), in the reference's order and naming (`<i>.weight` under the module the
 * reference calls `encoder_hash_tok_embedding`), so converted weights load.
 */
export class HashNgramEmbedding extends Module {
  readonly tables: Embedding[] = [];
  constructor(
    readonly config: HashConfig,
    readonly dim: number,
    options: ModuleOptions = {},
  ) {
    super();
    checkHashConfig(config);
    const count = config.functions * config.groupSizes.length;
    for (let i = 0; i < count; i++)
      this.tables.push(this.child(String(i), new Embedding(config.vocab, dim, options)));
  }

  /** Σ over tables of table_i[hash_i(ids)]: [batch, seq, dim] for byte ids [batch, seq]. */
  forward(ids: T.Tensor): T.Tensor {
    const hashes = hashNgrams(ids, this.config);
    let sum: T.Tensor | undefined;
    this.tables.forEach((table, i) => {
      const e = table.forward(T.squeeze(T.narrow(hashes, 0, i, 1), 0));
      sum = sum ? T.add(sum, e) : e;
    });
    return sum!;
  }
}
