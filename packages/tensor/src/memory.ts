import type { Backend } from './backend.js';

/** Anything that holds backend memory and can give it back. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /** Computes anything pending, so that what it reads can be freed (tensors: see `realize`). */
  realize?(): void;
}

const scopes: Set<Disposable>[] = [];
let liveTensors = 0;

/** Registers a new tensor with the innermost {@link tidy} scope. */
export function track(t: Disposable): void {
  liveTensors++;
  scopes[scopes.length - 1]?.add(t);
}

/** Called by `dispose()`. */
export function untrack(t: Disposable): void {
  liveTensors--;
  for (const s of scopes) s.delete(t);
}

/**
 * Takes a tensor out of every enclosing {@link tidy} scope, so it outlives them, and computes it if
 * pending (so that what it reads is freed with the scopes). Returns it.
 */
export function keep<T extends Disposable>(t: T): T {
  unscope(t);
  if (!t.isDisposed) t.realize?.();
  return t;
}

/** @internal Takes a tensor out of every enclosing scope, leaving it pending (see {@link keep}). */
export function unscope<T extends Disposable>(t: T): T {
  for (const s of scopes) s.delete(t);
  return t;
}

/** Puts a tensor (back) into the innermost {@link tidy} scope, e.g. one that {@link keep} took out. */
export function adopt<T extends Disposable>(t: T): T {
  scopes[scopes.length - 1]?.add(t);
  return t;
}

function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if ('dispose' in value && 'isDisposed' in value) {
    out.add(value as Disposable);
    return;
  }
  const items = Array.isArray(value)
    ? value
    : value instanceof Map
      ? [...value.values()]
      : Object.values(value);
  for (const v of items) collect(v, out, depth + 1);
}

function closeScope(scope: Set<Disposable>, result: unknown): void {
  const kept = new Set<Disposable>();
  collect(result, kept);
  scopes.pop();
  // Results made in the scope are computed before the intermediates they read are disposed.
  for (const t of kept) if (scope.has(t) && !t.isDisposed) t.realize?.();
  for (const t of scope) if (!kept.has(t)) t.dispose();
  // Returned tensors belong to the enclosing scope now.
  const parent = scopes[scopes.length - 1];
  if (parent) for (const t of kept) if (scope.has(t)) parent.add(t);
}

/**
 * Runs `fn` and disposes every tensor it created, except those it returns (found in arrays,
 * plain objects and Maps) and those passed to {@link keep}. Works with async functions too; async
 * scopes must not interleave (await one before starting the next).
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Disposable>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    closeScope(scope, undefined);
    throw e;
  }
  if (result instanceof Promise) {
    return result.then(
      (r) => {
        closeScope(scope, r);
        return r;
      },
      (e) => {
        closeScope(scope, undefined);
        throw e;
      },
    ) as T;
  }
  closeScope(scope, result);
  return result;
}

/** Counts of live objects, for leak tests. */
export interface MemoryInfo {
  /** Tensors created and not disposed. */
  liveTensors: number;
  /** Buffers held by the backend. */
  liveBuffers: number;
  /** Bytes those buffers hold (WebGPU: their size classes). */
  liveBytes: number;
  /** The most bytes held since the backend's last `resetPeakBytes()`. */
  peakBytes: number;
}

/** Live tensors and the given backend's live buffers and bytes. */
export function memory(backend: Backend): MemoryInfo {
  const bytes = backend.memoryBytes();
  return { liveTensors, liveBuffers: backend.liveBuffers(), liveBytes: bytes.live, peakBytes: bytes.peak };
}
