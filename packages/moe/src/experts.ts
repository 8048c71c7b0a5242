import { Module, type ModuleOptions, uniformInit } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { needInt } from './check.js';
import { MoEError } from './errors.js';

const PROJECTIONS = ['w1', 'w2', 'w3'] as const;

/**
 * A bank of `numExperts` SwiGLU experts, Mixtral's `MixtralBlockSparseTop2MLP`:
 * expert e maps x to w2[e] · (silu(w1[e] · x) ⊙ w3[e] · x).
 *
 * The weights are held stacked, one parameter per projection: `w1` and `w3` [E, hidden, dim] (gate
 * and up), `w2` [E, dim, hidden] (down), so that one batched matmul runs every expert at once and
 * a dispatch's kernel count does not grow with E. Stacking per-expert parameters at every forward
 * instead would cost E copies per projection (and E slices in the backward). Mixtral's checkpoints
 * name the experts one by one (`experts.N.w1.weight`); {@link stackExpertState} maps those names
 * onto the stacked ones (`experts.w1`) and {@link unstackExpertState} back.
 */
export class ExpertBank extends Module {
  /** Gate projections [E, hidden, dim]. */
  readonly w1: T.Tensor;
  /** Down projections [E, dim, hidden]. */
  readonly w2: T.Tensor;
  /** Up projections [E, hidden, dim]. */
  readonly w3: T.Tensor;
  constructor(
    readonly dim: number,
    readonly hidden: number,
    readonly numExperts: number,
    options: ModuleOptions = {},
  ) {
    super();
    needInt('ExpertBank: dim', dim, 1);
    needInt('ExpertBank: hidden', hidden, 1);
    needInt('ExpertBank: numExperts', numExperts, 1);
    // nn.Linear's initialisation, per expert: U(−1/√in, 1/√in).
    const uniform = (shape: number[]) => uniformInit(shape, 1 / Math.sqrt(shape[2]), options);
    this.w1 = this.param('w1', uniform([numExperts, hidden, dim]));
    this.w2 = this.param('w2', uniform([numExperts, dim, hidden]));
    this.w3 = this.param('w3', uniform([numExperts, hidden, dim]));
  }

  /** Every expert on its own rows: x [E, n, dim] → [E, n, dim], three batched matmuls. */
  forward(x: T.Tensor): T.Tensor {
    if (x.rank !== 3 || x.shape[0] !== this.numExperts || x.shape[2] !== this.dim) {
      throw new MoEError(
        `ExpertBank.forward: x must be [${this.numExperts}, rows, ${this.dim}], got [${x.shape.join(', ')}]`,
      );
    }
    const t = (w: T.Tensor) => T.transpose(w, 1, 2);
    const h = T.mul(T.silu(T.matmul(x, t(this.w1))), T.matmul(x, t(this.w3)));
    return T.matmul(h, t(this.w2));
  }

  /** Expert `e` alone on x [n, dim] → [n, dim] (the per-expert reference path). */
  expert(e: number, x: T.Tensor): T.Tensor {
    needInt('ExpertBank.expert: e', e, 0, this.numExperts - 1);
    const w = (p: T.Tensor) => T.squeeze(T.narrow(p, 0, e, 1), 0);
    return T.linear(T.mul(T.silu(T.linear(x, w(this.w1))), T.linear(x, w(this.w3))), w(this.w2));
  }
}

const PER_EXPERT = /^(.*)experts\.(\d+)\.(w[123])\.weight$/;

/**
 * A state dict with Mixtral's per-expert names (`<prefix>experts.N.w1.weight`, [hidden, dim]) turned
 * into the stacked names of {@link ExpertBank} (`<prefix>experts.w1`, [E, hidden, dim]); other
 * entries pass through. Use it before `loadStateDict` of any module holding MoE layers. Every
 * expert 0..E−1 must be present for each projection.
 */
export function stackExpertState(state: Record<string, T.Tensor>): Record<string, T.Tensor> {
  const out: Record<string, T.Tensor> = {};
  const groups = new Map<string, Map<number, T.Tensor>>();
  for (const [k, v] of Object.entries(state)) {
    const m = PER_EXPERT.exec(k);
    if (!m) {
      out[k] = v;
      continue;
    }
    const key = `${m[1]}experts.${m[3]}`;
    if (!groups.has(key)) groups.set(key, new Map());
    groups.get(key)?.set(Number(m[2]), v);
  }
  for (const [key, byExpert] of groups) {
    const n = Math.max(...byExpert.keys()) + 1;
    const missing = [...Array(n).keys()].filter((e) => !byExpert.has(e));
    if (missing.length) {
      const [prefix, proj] = [key.slice(0, -'experts.w1'.length), key.slice(-2)];
      throw new MoEError(
        `stackExpertState: state must hold ${prefix}experts.N.${proj}.weight for every N in [0, ${n - 1}], missing N = ${missing.join(', ')}`,
      );
    }
    out[key] = T.stack([...Array(n).keys()].map((e) => byExpert.get(e) as T.Tensor));
  }
  return out;
}

/** The inverse of {@link stackExpertState}: stacked `experts.wK` [E, …] as Mixtral's per-expert names. */
export function unstackExpertState(state: Record<string, T.Tensor>): Record<string, T.Tensor> {
  const out: Record<string, T.Tensor> = {};
  for (const [k, v] of Object.entries(state)) {
    const m = /^(.*)experts\.(w[123])$/.exec(k);
    if (!m || !PROJECTIONS.includes(m[2] as (typeof PROJECTIONS)[number])) {
      out[k] = v;
      continue;
    }
    for (let e = 0; e < v.shape[0]; e++)
      out[`${m[1]}experts.${e}.${m[2]}.weight`] = T.squeeze(T.narrow(v, 0, e, 1), 0);
  }
  return out;
}
