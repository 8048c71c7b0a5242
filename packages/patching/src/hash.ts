// BLT's hash n-gram embeddings, as facebookresearch/blt bytelatent/model/utils.py computes them
// (`rolling_polynomial_hash`, `byte_group_hash_function`, `compute_hash_embeddings`).
import { patching_hash } from '@tessera/kernels';
import * as T from '@tessera/tensor';
import { PatchingError } from './errors.js';

/** The reference's primes, one per hash function (`primes[hash_func_nb]`). */
export const HASH_PRIMES: readonly bigint[] = [
  1000000007n,
  5915587277n,
  1500450271n,
  3267000013n,
  5754853343n,
  4093082899n,
  9576890767n,
  3628273133n,
  2860486313n,
  5463458053n,
  3367900313n,
];

/** Which hashes: `functions` primes × the n-gram sizes `groupSizes`, into `vocab` buckets per table. */
export interface HashConfig {
  /** Number of hash functions (the first primes); the reference's `encoder_hash_byte_group_nb_functions`. */
  functions: number;
  /** N-gram sizes, e.g. [3, 4, 5, 6, 7, 8]; `encoder_hash_byte_group_size`. */
  groupSizes: number[];
  /** Buckets per table, `encoder_hash_byte_group_vocab` (released 1B model: 500002; code default 30000). */
  vocab: number;
}

const MAX_GROUP = 8;
const MAX_VOCAB = 1 << 24;

/** Checks a {@link HashConfig}; errors name the field, the expected and the actual value. */
export function checkHashConfig(c: HashConfig): void {
  if (!Number.isInteger(c.functions) || c.functions < 1 || c.functions > HASH_PRIMES.length)
    throw new PatchingError(
      `hash config: functions must be an integer in 1..${HASH_PRIMES.length}, got ${c.functions}`,
    );
  for (const n of c.groupSizes)
    if (!Number.isInteger(n) || n < 1 || n > MAX_GROUP)
      throw new PatchingError(`hash config: group sizes must be integers in 1..${MAX_GROUP}, got ${n}`);
  if (!Number.isInteger(c.vocab) || c.vocab < 1 || c.vocab > MAX_VOCAB)
    throw new PatchingError(`hash config: vocab must be an integer in 1..${MAX_VOCAB}, got ${c.vocab}`);
}

const U64 = 1n << 64n;

/** prime^i mod 2^64 (torch's int64 power wraps the same way), for i < n. */
const primePowers = (f: number, n: number): bigint[] =>
  Array.from({ length: n }, (_, i) => HASH_PRIMES[f] ** BigInt(i) % U64);

/**
 * The CPU reference with BigInt: hash ids [rows, S] of `ids` for one (function, group size),
 * exactly `byte_group_hash_function(ids, n, f, vocab)`.
 */
export function hashIdsReference(
  ids: ArrayLike<number>,
  rows: number,
  f: number,
  n: number,
  vocab: number,
): Int32Array {
  const s = ids.length / rows;
  const pw = primePowers(f, n);
  const out = new Int32Array(ids.length);
  const v = BigInt(vocab);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < s; t++) {
      let h = 0n;
      for (let j = 0; j < n; j++) {
        const at = t - (n - 1) + j;
        if (at >= 0) h += BigInt(ids[r * s + at]) * pw[j];
      }
      const signed = BigInt.asIntN(64, h);
      out[r * s + t] = Number(((signed % v) + v) % v);
    }
  }
  return out;
}

interface HashParams {
  config: HashConfig;
}

const combos = (c: HashConfig): [number, number][] =>
  Array.from({ length: c.functions }, (_, f) => c.groupSizes.map((n) => [f, n] as [number, number])).flat();

/** The hash kernel for `combos` (function, group size) pairs: their sizes and prime powers are parameters. */
const hashKernel = T.specialize(({ combos, wg }: { combos: number; wg: number }) => {
  const params = T.paramBlock({
    rows: 'u32',
    len: 'u32',
    ids_offset: 'u32',
    vocab: 'u32',
    wrap: 'u32',
    combos: 'u32',
    group: ['u32', combos],
    powers: ['u32', combos * 2 * MAX_GROUP],
  });
  return { code: T.fill(patching_hash, { PARAMS: params.wgsl(2), WG: wg }), params };
});

/**
 * Hash ids of every (function, group size) pair, in the reference's table order (functions outer,
 * sizes inner): i32 [tables, ...ids.shape]. WebGPU emulates int64 with u32 pairs.
 */
const hashOp = T.defineOp<HashParams>({
  name: 'patching/hash_ngrams',
  infer([ids], { config }) {
    if (ids.dtype !== 'i32') throw new PatchingError(`hashNgrams: ids must be i32, got ${ids.dtype}`);
    if (ids.rank !== 2)
      throw new PatchingError(`hashNgrams: ids must be [batch, seq], got [${ids.shape.join(', ')}]`);
    return { shape: [combos(config).length, ...ids.shape], dtype: 'i32' };
  },
  grad: { nondifferentiable: 'hash ids are integers' },
  kernels: {
    cpu(out, [ids], { config }) {
      const [rows, s] = ids.shape;
      const flat = (ids.handle as Int32Array).subarray(ids.offset, ids.offset + rows * s);
      const res = new Int32Array(out.shape.reduce((a, b) => a * b, 1));
      combos(config).forEach(([f, n], k) => {
        res.set(hashIdsReference(flat, rows, f, n, config.vocab), k * rows * s);
      });
      return res;
    },
    webgpu(gpu, out, [ids], { config }) {
      const [rows, s] = ids.shape;
      const list = combos(config);
      const powers: number[] = [];
      for (const [f] of list) {
        for (const p of primePowers(f, MAX_GROUP)) powers.push(Number(p & 0xffffffffn), Number(p >> 32n));
      }
      const buf = gpu.alloc(out);
      const total = list.length * rows * s;
      gpu.dispatch({
        kernel: hashKernel({ combos: list.length, wg: gpu.wg }),
        label: 'patching/hash',
        buffers: [ids.handle, buf],
        params: {
          rows,
          len: s,
          ids_offset: ids.offset,
          vocab: config.vocab,
          wrap: Number(U64 % BigInt(config.vocab)),
          combos: list.length,
          group: list.map(([, n]) => n),
          powers,
        },
        workgroups: Math.ceil(total / gpu.wg),
      });
      return buf;
    },
  },
});

/**
 * Hash n-gram ids for byte ids [batch, seq] (i32, ≥ 0): [tables, batch, seq] in the reference's
 * table order. Rows are hashed independently (each row's window starts with zero padding).
 */
export function hashNgrams(ids: T.Tensor, config: HashConfig): T.Tensor {
  checkHashConfig(config);
  return hashOp([T.contiguous(ids)], { config });
}
