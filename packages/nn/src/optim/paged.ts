import * as T from '@tessera/tensor';
import { AdamW, type AdamWOptions } from './adamw.js';

/** Options of {@link PagedAdamW}. */
export interface PagedAdamWOptions extends AdamWOptions {
  /** Parameters with at least this many elements may have their state paged (bitsandbytes: 1e5). Default 1e5. */
  pageThreshold?: number;
  /** Backend bytes the optimizer state may keep resident; large states past it live on the host. Default 0. */
  budgetBytes?: number;
}

/** Where a {@link PagedAdamW}'s state lives, and how much moved. */
export interface PagingStats {
  /** Bytes of state held on the backend between steps. */
  residentBytes: number;
  /** Bytes of state held in host memory between steps. */
  hostBytes: number;
  /** Bytes uploaded and read back over all steps. */
  pagedInBytes: number;
  pagedOutBytes: number;
}

/**
 * AdamW whose large states (exp_avg, exp_avg_sq) live in host memory and are paged in for their
 * parameter's update, one parameter at a time, then written back: bitsandbytes' paged optimizer
 * for WebGPU, which has no unified memory. States that fit `budgetBytes` stay resident. The update
 * is exactly AdamW's. `step()` is async (it awaits the read-back): `await opt.step()`.
 */
export class PagedAdamW extends AdamW {
  readonly pageThreshold: number;
  readonly budgetBytes: number;
  private readonly host = new Map<T.Tensor, Record<string, Float32Array>>();
  private readonly paged = new Set<T.Tensor>();
  private readonly decided = new Set<T.Tensor>();
  private resident = 0;
  private moved = { in: 0, out: 0 };

  constructor(params: T.Tensor[], o: PagedAdamWOptions = {}) {
    super(params, o);
    this.pageThreshold = o.pageThreshold ?? 1e5;
    this.budgetBytes = o.budgetBytes ?? 0;
  }

  /** Whether `p`'s state lives on the host between steps. */
  isPaged(p: T.Tensor): boolean {
    if (!this.decided.has(p)) {
      this.decided.add(p);
      const bytes = 2 * 4 * p.size;
      if (p.size >= this.pageThreshold && this.resident + bytes > this.budgetBytes) this.paged.add(p);
      else this.resident += bytes;
    }
    return this.paged.has(p);
  }

  override async step(): Promise<void> {
    this.stepCount++;
    for (const p of this.params) {
      if (!p.grad) continue;
      if (!this.isPaged(p)) {
        this.updateParam(p);
        continue;
      }
      const saved = this.host.get(p);
      if (saved && !this.state.has(p)) {
        const slots: Record<string, T.Tensor> = {};
        for (const [k, a] of Object.entries(saved)) {
          slots[k] = T.keep(T.tensor(a, { backend: p.backend, shape: [...p.shape] }));
          this.moved.in += a.byteLength;
        }
        this.state.set(p, slots);
      }
      this.updateParam(p);
      const slots = this.state.get(p)!;
      const out: Record<string, Float32Array> = {};
      for (const [k, t] of Object.entries(slots)) {
        out[k] = (await t.data()) as Float32Array;
        this.moved.out += out[k].byteLength;
        t.dispose();
      }
      this.state.delete(p);
      this.host.set(p, out);
    }
  }

  /** Where the state lives and the bytes moved so far. */
  stats(): PagingStats {
    let hostBytes = 0;
    for (const s of this.host.values()) for (const a of Object.values(s)) hostBytes += a.byteLength;
    return {
      residentBytes: this.resident,
      hostBytes,
      pagedInBytes: this.moved.in,
      pagedOutBytes: this.moved.out,
    };
  }

  /** Loaded states start resident; the next step pages the large ones out again. */
  override loadStateDict(sd: { step: number; tensors: Record<string, T.Tensor> }): void {
    super.loadStateDict(sd);
    for (const p of this.params) if (this.state.has(p)) this.host.delete(p);
  }

  /** Includes the host-resident states (as new tensors on their parameters' backend). */
  override stateDict(): { step: number; tensors: Record<string, T.Tensor> } {
    const sd = super.stateDict();
    this.params.forEach((p, i) => {
      for (const [k, a] of Object.entries(this.host.get(p) ?? {}))
        sd.tensors[`${i}.${k}`] = T.tensor(a, { backend: p.backend, shape: [...p.shape] });
    });
    return sd;
  }

  override dispose(): void {
    super.dispose();
    this.host.clear();
  }
}
