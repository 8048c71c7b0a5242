import { type FileHandle, open, writeFile } from 'node:fs/promises';
import type * as T from '@tessera/tensor';
import {
  headerLength,
  parseHeader,
  type ReadOptions,
  readSafetensors,
  SafetensorsError,
  type WriteDTypes,
  writeSafetensors,
} from './safetensors.js';

// Node-only: the package's browser build (`exports` without the "node" condition) replaces this
// module with files.browser.ts, which has the same functions and says what to use instead.

/** Reads and validates only the header of a safetensors file in Node. */
async function openHeader(file: FileHandle) {
  const { size } = await file.stat();
  const first = new Uint8Array(Math.min(8, size));
  await file.read(first, 0, first.byteLength, 0);
  const n = headerLength(first, size);
  const head = new Uint8Array(n);
  await file.read(head, 0, n, 8);
  return parseHeader(head, size - 8 - n);
}

/** The `__metadata__` of a safetensors file, reading only its header. */
export async function readSafetensorsFileMetadata(path: string): Promise<Record<string, string>> {
  const file = await open(path, 'r');
  try {
    return (await openHeader(file)).metadata;
  } finally {
    await file.close();
  }
}

/**
 * Reads tensors from a safetensors file in Node, streaming: the header first, then only the byte
 * ranges of the requested tensors (`options.names`), so a large checkpoint need not fit in memory.
 */
export async function readSafetensorsFile(
  path: string,
  options: ReadOptions = {},
): Promise<Record<string, T.Tensor>> {
  const file = await open(path, 'r');
  try {
    const header = await openHeader(file);
    const names = options.names ?? Object.keys(header.entries);
    // Re-frame each requested tensor as a one-tensor file and decode it with the in-memory reader.
    const out: Record<string, T.Tensor> = {};
    for (const name of names) {
      const e = header.entries[name];
      if (!e) throw new SafetensorsError(`safetensors: no tensor named '${name}' in ${path}`);
      const bytes = new Uint8Array(e.dataOffsets[1] - e.dataOffsets[0]);
      await file.read(bytes, 0, bytes.byteLength, header.dataStart + e.dataOffsets[0]);
      out[name] = readSafetensors(frame(name, e.dtype, e.shape, bytes), { backend: options.backend })[name];
    }
    return out;
  } finally {
    await file.close();
  }
}

/** A one-tensor safetensors file around `bytes`. */
function frame(name: string, dtype: string, shape: number[], bytes: Uint8Array): Uint8Array {
  let json = JSON.stringify({ [name]: { dtype, shape, data_offsets: [0, bytes.byteLength] } });
  json += ' '.repeat((8 - (new TextEncoder().encode(json).byteLength % 8)) % 8);
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.byteLength + bytes.byteLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.byteLength), true);
  out.set(head, 8);
  out.set(bytes, 8 + head.byteLength);
  return out;
}

/** Writes tensors to a safetensors file in Node. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Record<string, T.Tensor>,
  metadata?: Record<string, string>,
  dtypes?: WriteDTypes,
): Promise<void> {
  await writeFile(path, await writeSafetensors(tensors, metadata, dtypes));
}
