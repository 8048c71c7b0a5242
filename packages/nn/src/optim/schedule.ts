/** A learning-rate multiplier as a function of the step (0-based). */
export type Schedule = (step: number) => number;

/** Linear warmup to 1 over `warmup` steps, then cosine decay to `minRatio` at `total`. */
export function cosineWithWarmup(o: { warmup: number; total: number; minRatio?: number }): Schedule {
  const min = o.minRatio ?? 0;
  return (step) => {
    if (step < o.warmup) return (step + 1) / o.warmup;
    const progress = Math.min(1, (step - o.warmup) / Math.max(1, o.total - o.warmup));
    return min + (1 - min) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/**
 * Warmup-stable-decay ("trapezoidal"): linear warmup, a constant plateau, then a linear decay to
 * `minRatio` over the last `decay` steps of `total`.
 */
export function warmupStableDecay(o: {
  warmup: number;
  decay: number;
  total: number;
  minRatio?: number;
}): Schedule {
  const min = o.minRatio ?? 0;
  return (step) => {
    if (step < o.warmup) return (step + 1) / o.warmup;
    const decayStart = o.total - o.decay;
    if (step < decayStart) return 1;
    return 1 - (1 - min) * Math.min(1, (step - decayStart + 1) / o.decay);
  };
}

/** Sets `optimizer.lr = base · schedule(step)` before each step. */
export class LRScheduler {
  private step = 0;
  constructor(
    readonly optimizer: { lr: number },
    readonly schedule: Schedule,
    readonly base = optimizer.lr,
  ) {
    optimizer.lr = base * schedule(0);
  }
  /** Advances one step and updates the learning rate. */
  next(): number {
    this.step++;
    this.optimizer.lr = this.base * this.schedule(this.step);
    return this.optimizer.lr;
  }
}
