import type * as T from '@tessera/tensor';
import { type ReadOptions, readSafetensors } from './safetensors.js';

/** Fetches and reads a safetensors file (browsers, Deno, Node 18+ fetch). */
export async function fetchSafetensors(
  url: string,
  options: ReadOptions = {},
): Promise<Record<string, T.Tensor>> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`fetchSafetensors: ${url} answered ${res.status} ${res.statusText}`);
  return readSafetensors(await res.arrayBuffer(), options);
}
