import { Arena } from './arena.js';
import { SINGLE_THREADED_WASM, THREADED_WASM } from './binary.js';
import { CONTROL_BYTES, WorkerPool } from './pool.js';

/** The functions csrc/*.c export (addresses in bytes, sizes and strides in elements). */
export interface KernelExports {
  readonly __heap_base: WebAssembly.Global;
  sgemm_scratch_floats(): number;
  cb4_scratch_floats(): number;
  run_calls(table: number, count: number): void;
}

/** The kernels, the arena their operands go through, and the threads that run them. */
export interface KernelRuntime {
  readonly exports: KernelExports;
  readonly arena: Arena;
  /** Workers besides the calling thread, or null when single-threaded. */
  readonly pool: WorkerPool | null;
  readonly description: string;
}

/** Decodes base64 without Node's Buffer or the DOM's atob. */
export function decodeBase64(s: string): Uint8Array {
  const table = new Uint8Array(128);
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = i;
  const len = s.length - (s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0);
  const out = new Uint8Array((len * 3) >> 2);
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const n =
      (table[s.charCodeAt(i)] << 18) |
      (table[s.charCodeAt(i + 1)] << 12) |
      (table[s.charCodeAt(i + 2)] << 6) |
      table[s.charCodeAt(i + 3)];
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

const INITIAL_PAGES = 16;
const MAX_PAGES = 65536;

/** Threads the host allows (its cores), or 1 and why: for `description`. */
export async function threadSupport(): Promise<{ threads: number; reason: string }> {
  const g = globalThis as { crossOriginIsolated?: boolean; navigator?: { hardwareConcurrency?: number } };
  const node = typeof process !== 'undefined' && !!process.versions?.node;
  if (typeof SharedArrayBuffer === 'undefined') return { threads: 1, reason: 'no SharedArrayBuffer' };
  // A page's main thread may not block in Atomics.wait, and kernels return synchronously.
  const blockable =
    node || typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
  if (!blockable) return { threads: 1, reason: "a page's main thread cannot wait for workers" };
  if (!node && !g.crossOriginIsolated) return { threads: 1, reason: 'the page is not cross-origin isolated' };
  if (node) {
    const specifier = 'node:os';
    const os = (await import(/* @vite-ignore */ specifier)) as typeof import('node:os');
    return { threads: os.availableParallelism(), reason: '' };
  }
  return { threads: Math.max(1, g.navigator?.hardwareConcurrency ?? 1), reason: '' };
}

/**
 * Instantiates the kernels: the threaded build on a shared memory with `threads - 1` workers when
 * `threads` > 1, else the single-threaded build on a memory of its own. `residentBytes` bounds the
 * copies of reused operands kept in that memory (see Resident).
 */
export async function instantiate(threads: number, residentBytes: number, why = ''): Promise<KernelRuntime> {
  if (threads <= 1) {
    const module = await WebAssembly.compile(decodeBase64(SINGLE_THREADED_WASM) as BufferSource);
    const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const exports = instance.exports as unknown as KernelExports;
    const description = `WebAssembly SIMD, single-threaded${why ? ` (${why})` : ''}`;
    return {
      exports,
      arena: new Arena(memory, exports.__heap_base.value as number, residentBytes),
      pool: null,
      description,
    };
  }
  const module = await WebAssembly.compile(decodeBase64(THREADED_WASM) as BufferSource);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  // The workers' control words sit below the arena, which never hands them out.
  const ctrl = align64(exports.__heap_base.value as number);
  const pool = await WorkerPool.start(module, memory, ctrl, threads);
  const arena = new Arena(memory, ctrl + (threads - 1) * CONTROL_BYTES, residentBytes);
  return { exports, arena, pool, description: `WebAssembly SIMD, ${threads} threads` };
}

const align64 = (p: number): number => Math.ceil(p / 64) * 64;
