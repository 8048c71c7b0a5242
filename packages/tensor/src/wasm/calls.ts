import type { KernelRuntime } from './module.js';

/** Routines of csrc/calls.c's table. */
export const SGEMM = 0;
export const SGEMV = 1;
export const SOFTMAX = 2;
export const NORM = 3;
export const ATTENTION = 4;
export const SGEMM_DOTS = 5;
export const CB4_MATMUL = 6;
export const CB4_DECODE = 7;
export const CB8_DECODE = 8;
/** Ints per record: the routine, then its arguments; the last is the thread's scratch, filled in per thread. */
const RECORD = 13;
/** A thread's share below this much work (flops, or elements for row kernels) costs more in waking it than it saves. */
const MIN_SHARE = 1 << 20;

/** One call for some thread to run, its cost (for balancing) and the scratch bytes it needs. */
export interface Call {
  readonly record: number[];
  readonly cost: number;
  readonly scratch: number;
}

export const call = (routine: number, args: number[], cost: number, scratch = 0): Call => ({
  record: [routine, ...args, ...new Array<number>(RECORD - 1 - args.length).fill(0)],
  cost,
  scratch,
});

/** Into how many parts to split one piece of work costing `cost`: 1 unless each part is worth a thread. */
export function partsFor(rt: KernelRuntime, cost: number): number {
  const threads = rt.pool?.threads ?? 1;
  return Math.max(1, Math.min(threads, Math.floor(cost / MIN_SHARE)));
}

/** `[start, length]` ranges splitting `n` into up to `parts`, each (but the last) a multiple of `unit`. */
export function ranges(n: number, parts: number, unit: number): [number, number][] {
  const step = Math.max(unit, Math.ceil(n / parts / unit) * unit);
  const out: [number, number][] = [];
  for (let s = 0; s < n; s += step) out.push([s, Math.min(step, n - s)]);
  return out;
}

/**
 * Runs `calls` (whose pointers are into the arena): split into consecutive runs of about equal
 * cost, one per thread, each with its own scratch, written to a table in the arena.
 */
export function runCalls(rt: KernelRuntime, calls: Call[]): void {
  const { exports: wasm, arena, pool } = rt;
  const groups = balance(calls, pool?.threads ?? 1);
  const scratchBytes = Math.max(0, ...calls.map((c) => c.scratch));
  const scratch = arena.alloc(scratchBytes * groups.length);
  const table = arena.alloc(calls.length * RECORD * 4);
  const words = new Int32Array(arena.memory.buffer, table, calls.length * RECORD);
  const slices: [number, number][] = [];
  let at = 0;
  for (const [g, group] of groups.entries()) {
    slices.push([table + at * RECORD * 4, group.length]);
    for (const c of group) {
      words.set(c.record, at * RECORD);
      if (c.scratch > 0) words[at * RECORD + RECORD - 1] = scratch + g * scratchBytes;
      at++;
    }
  }
  if (pool && slices.length > 1) pool.run(slices, wasm.run_calls);
  else wasm.run_calls(table, calls.length);
}

/** Consecutive runs of `calls` with about equal cost, at most `threads` of them. */
function balance(calls: Call[], threads: number): Call[][] {
  const total = calls.reduce((s, c) => s + c.cost, 0);
  const groups: Call[][] = [[]];
  let acc = 0;
  for (const c of calls) {
    const g = groups[groups.length - 1];
    if (g.length > 0 && groups.length < threads && acc >= (total * groups.length) / threads) groups.push([c]);
    else g.push(c);
    acc += c.cost;
  }
  return groups;
}
