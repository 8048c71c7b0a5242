// The ONNX-ML fixtures (tools/fixtures/gen_pipeline_onnx.py) and onnxruntime-node, their oracle:
// each model's rows as the pipeline's inputs and as onnxruntime's feeds, and onnxruntime's outputs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import type { InputColumns } from '../src/index.js';

const DIR = fileURLToPath(new URL('./fixtures/onnx/', import.meta.url));

type Cell = number | null;

/** One input of a fixture model: a data set's held-out rows (plus extra rows), or explicit columns. */
interface InputSpec {
  dataset?: string;
  extraRows?: Cell[][];
  kind?: 'float' | 'int' | 'string';
  columns?: number;
  data?: (Cell | string)[];
}

export interface FixtureModel {
  name: string;
  file: string;
  kind: 'classifier' | 'regressor';
  trees: boolean;
  inputs: Record<string, InputSpec>;
  notes?: string;
  sklearn?: Record<string, unknown>;
}

interface Manifest {
  datasets: Record<string, { columns: number; rows: Cell[][] }>;
  models: FixtureModel[];
}

export const manifest: Manifest = JSON.parse(readFileSync(`${DIR}manifest.json`, 'utf8'));

export const modelBytes = (m: FixtureModel): Uint8Array => new Uint8Array(readFileSync(`${DIR}${m.file}`));

/** A fixture's inputs as columns for `predict`: floats (null = NaN), integers or strings. */
export function fixtureInputs(
  m: FixtureModel,
): Record<string, { kind: string; columns: number; data: InputColumns }> {
  const out: Record<string, { kind: string; columns: number; data: InputColumns }> = {};
  for (const [name, spec] of Object.entries(m.inputs)) {
    if (spec.dataset) {
      const ds = manifest.datasets[spec.dataset];
      const rows = [...ds.rows, ...(spec.extraRows ?? [])];
      out[name] = {
        kind: 'float',
        columns: ds.columns,
        data: Float32Array.from(rows.flat(), (v) => v ?? Number.NaN),
      };
    } else if (spec.kind === 'string') {
      out[name] = { kind: 'string', columns: spec.columns!, data: spec.data as string[] };
    } else {
      const data = (spec.data as Cell[]).map((v) => v ?? Number.NaN);
      out[name] = {
        kind: spec.kind!,
        columns: spec.columns!,
        data: spec.kind === 'int' ? data : Float32Array.from(data),
      };
    }
  }
  return out;
}

/** The name of the tensor that a ZipMap output reports, when the model has one. */
export const ZIPMAP_TENSOR = 'probability_tensor';

/**
 * onnxruntime's outputs for the fixture's rows: floats as Float32Array, labels as numbers or
 * strings. A ZipMap's sequence of maps is not fetched; its tensor is, as {@link ZIPMAP_TENSOR}.
 */
export async function runOnnxruntime(
  m: FixtureModel,
): Promise<Record<string, Float32Array | (number | string)[]>> {
  const session = await ort.InferenceSession.create(modelBytes(m));
  const feeds: Record<string, ort.Tensor> = {};
  for (const [name, input] of Object.entries(fixtureInputs(m))) {
    const rows = input.data.length / input.columns;
    const shape = [rows, input.columns];
    if (input.kind === 'string') feeds[name] = new ort.Tensor('string', input.data as string[], shape);
    else if (input.kind === 'int')
      feeds[name] = new ort.Tensor('int64', BigInt64Array.from(input.data as number[], BigInt), shape);
    else feeds[name] = new ort.Tensor('float32', input.data as Float32Array, shape);
  }
  const fetches = session.outputNames.includes(ZIPMAP_TENSOR)
    ? session.outputNames.filter((n) => n !== 'output_probability')
    : [...session.outputNames];
  const results = await session.run(feeds, fetches);
  await session.release();
  const out: Record<string, Float32Array | (number | string)[]> = {};
  for (const [name, t] of Object.entries(results)) {
    const data = t.data as ArrayLike<unknown>;
    if (t.type === 'float32') out[name] = data as Float32Array;
    else out[name] = Array.from(data, (v) => (typeof v === 'bigint' ? Number(v) : (v as number | string)));
  }
  return out;
}
