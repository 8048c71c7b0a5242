import { computeRecipes, type Storage } from '../storage.js';
import type { Tensor } from '../tensor.js';
import { KernelInputs, sourceKey } from './kernel-inputs.js';

/**
 * Computes the pending ones among `tensors` now, in as few kernels as the backend's input limit
 * allows: those of one shape share a kernel (one pass over what they read, one output each), as an
 * optimizer's new parameter and its new moments do.
 */
export function realize(...tensors: Tensor[]): void {
  const groups = new Map<string, Storage[]>();
  for (const [i, t] of tensors.entries()) {
    t.assertAlive(`realize (tensor ${i})`);
    const r = t.storage.pending;
    if (!r) {
      t.storage.realize(); // a deferred kernel output runs now
      continue;
    }
    const key = `${t.backend.name}:${r.out.shape.join(',')}`;
    const group = groups.get(key) ?? [];
    if (!group.includes(t.storage)) group.push(t.storage);
    groups.set(key, group);
  }
  for (const group of groups.values()) {
    // Kernels of several outputs, each within the limit of bindings (inputs + outputs).
    const bindings = group[0].backend.maxMapInputs + 1;
    let batch: Storage[] = [];
    let reads = new Set<string>();
    for (const s of group) {
      const keys = (s.pending?.sources ?? []).map(sourceKey);
      const more = new Set(keys.filter((key) => !reads.has(key))).size;
      if (batch.length && reads.size + more + batch.length + 1 > bindings) {
        realizeBatch(batch);
        batch = [];
        reads = new Set();
      }
      batch.push(s);
      for (const key of keys) reads.add(key);
    }
    realizeBatch(batch);
  }
}

/** One kernel computing every storage of `batch` (pending, one shape and backend). */
function realizeBatch(all: Storage[]): void {
  // A member another member reads is computed first, on its own.
  const read = new Set(all.flatMap((s) => (s.pending?.sources ?? []).map((src) => src.storage)));
  const batch = all.filter((s) => !read.has(s));
  for (const s of all) if (read.has(s)) s.realize();
  if (batch.length === 1) {
    batch[0].realize();
    return;
  }
  const k = new KernelInputs();
  const exps = batch.map((s) => {
    const r = s.pending!;
    return k.adopt(r.exp, r.sources, r.params);
  });
  const shape = batch[0].pending!.out.shape;
  // A deferred source these recipes read is held once by each recipe that reads it.
  const holders = (d: Storage) =>
    batch.reduce((n, s) => n + s.pending!.sources.filter((src) => src.storage === d).length, 0);
  const handles = computeRecipes(batch[0].backend, exps, shape, k.sources, k.params, holders);
  for (const [i, s] of batch.entries()) s.settle(handles[i]);
}
