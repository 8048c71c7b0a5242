import type * as T from '@tessera/tensor';
import { readSafetensorsFile, readSafetensorsFileMetadata, writeSafetensorsFile } from '../io/files.js';
import type { Module } from '../module.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { LoaderState } from './data.js';

/** What a checkpoint restores besides tensors. */
export interface CheckpointInfo {
  loader?: LoaderState;
  [key: string]: unknown;
}

/**
 * Saves model parameters (`model.<name>`), optimizer state (`optim.<param>.<slot>`) and JSON info
 * (step count, loader position, anything else) into one safetensors file.
 */
export async function saveCheckpoint(
  path: string,
  model: Module,
  optimizer?: Optimizer,
  info: CheckpointInfo = {},
): Promise<void> {
  const tensors: Record<string, T.Tensor> = {};
  for (const [n, p] of model.namedParameters()) tensors[`model.${n}`] = p;
  const opt = optimizer?.stateDict();
  for (const [n, t] of Object.entries(opt?.tensors ?? {})) tensors[`optim.${n}`] = t;
  await writeSafetensorsFile(path, tensors, {
    tessera: JSON.stringify({ ...info, optimizerStep: opt?.step ?? 0 }),
  });
}

/** Restores a {@link saveCheckpoint} file into `model` (and `optimizer`), returning its info. */
export async function loadCheckpoint(
  path: string,
  model: Module,
  optimizer?: Optimizer,
): Promise<CheckpointInfo> {
  const backend = model.parameters()[0]?.backend;
  const tensors = await readSafetensorsFile(path, { backend });
  const meta = await readSafetensorsFileMetadata(path);
  const info = JSON.parse(meta.tessera ?? '{}') as CheckpointInfo & { optimizerStep: number };
  const pick = (prefix: string) =>
    Object.fromEntries(
      Object.entries(tensors)
        .filter(([k]) => k.startsWith(prefix))
        .map(([k, t]) => [k.slice(prefix.length), t]),
    );
  model.loadStateDict(pick('model.'));
  optimizer?.loadStateDict({ step: info.optimizerStep, tensors: pick('optim.') });
  for (const t of Object.values(tensors)) t.dispose();
  return info;
}
