import * as T from '@tessera/tensor';

/**
 * Base of optimizers: holds parameters and per-parameter state, and updates parameters in place
 * (`Tensor.assign`) without recording gradients. `lr` may be changed between steps (schedules).
 */
export abstract class Optimizer {
  /** Steps taken. */
  stepCount = 0;
  protected readonly state = new Map<T.Tensor, Record<string, T.Tensor>>();

  constructor(
    readonly params: T.Tensor[],
    public lr: number,
  ) {
    if (!(lr >= 0)) throw new RangeError(`${new.target.name}: lr must be ≥ 0, got ${lr}`);
  }

  /**
   * Applies one update from each parameter's `.grad` (parameters without one are skipped). Subclasses
   * that move state between host and device (paged optimizers) return a promise: await it.
   */
  step(): void | Promise<void> {
    this.stepCount++;
    for (const p of this.params) if (p.grad) this.updateParam(p);
  }

  /** Updates one parameter from its gradient, replacing its state tensors. */
  protected updateParam(p: T.Tensor): void {
    T.noGrad(() =>
      T.tidy(() => {
        const slots = this.state.get(p) ?? {};
        const { value, state } = this.update(p, p.grad!, slots);
        // The new value and state in one kernel where they fuse (elementwise updates do).
        T.realize(value, ...Object.values(state));
        for (const [k, t] of Object.entries(state)) {
          if (slots[k] && slots[k] !== t) slots[k].dispose();
          slots[k] = T.keep(t);
        }
        this.state.set(p, slots);
        p.assign(value);
      }),
    );
  }

  /** The new value of `p` and its new state tensors. */
  protected abstract update(
    p: T.Tensor,
    g: T.Tensor,
    state: Record<string, T.Tensor>,
  ): { value: T.Tensor; state: Record<string, T.Tensor> };

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.params) p.setGrad(null);
  }

  /** State tensors by `<param index>.<slot>`, plus the step count, for checkpoints. */
  stateDict(): { step: number; tensors: Record<string, T.Tensor> } {
    const tensors: Record<string, T.Tensor> = {};
    this.params.forEach((p, i) => {
      for (const [k, t] of Object.entries(this.state.get(p) ?? {})) tensors[`${i}.${k}`] = t;
    });
    return { step: this.stepCount, tensors };
  }

  /** Restores {@link stateDict} output (tensors are copied into new ones this optimizer owns). */
  loadStateDict(sd: { step: number; tensors: Record<string, T.Tensor> }): void {
    this.stepCount = sd.step;
    for (const [key, t] of Object.entries(sd.tensors)) {
      const [i, slot] = key.split('.');
      const p = this.params[Number(i)];
      if (!p) throw new Error(`loadStateDict: no parameter ${i} for state '${key}'`);
      const slots = this.state.get(p) ?? {};
      slots[slot]?.dispose();
      slots[slot] = T.keep(T.clone(t));
      this.state.set(p, slots);
    }
  }

  /** Frees the state tensors. */
  dispose(): void {
    for (const slots of this.state.values()) for (const t of Object.values(slots)) t.dispose();
    this.state.clear();
  }
}
