// Parity of a compiled pipeline with its source runtime's outputs, on one backend, with every tree
// strategy when the pipeline has tree ensembles.
import type * as T from '@tessera/tensor';
import { expect } from 'vitest';
import { compile, type Pipeline, type TreeStrategyName } from '../src/index.js';
import { expectClose } from './helpers.js';

export const STRATEGIES: TreeStrategyName[] = ['gemm', 'tree_traversal', 'perfect_tree_traversal'];

/** What the source runtime gave: labels, or rows of values, by pipeline output name. */
export type Expected = Record<string, (number | string)[] | number[][]>;

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Hummingbird's tolerance, the default. */
export const EXACT: Tolerance = { rtol: 1e-6, atol: 1e-6 };

/**
 * Compiles `pipeline` on `backend` (with each tree strategy when it has tree ensembles), scores
 * `rows` and checks every expected output: values within `tol`; labels equal, except on a row
 * where the source's own top two class scores are within `tol` of each other (float32 cannot
 * order them as float64 did): there the label must be one of the tied classes. Returns the number
 * of such rows.
 */
export async function expectParity(
  pipeline: Pipeline,
  rows: number[][],
  want: Expected,
  backend: T.Backend,
  what: string,
  tol: Tolerance = EXACT,
): Promise<number> {
  const hasTrees = pipeline.nodes.some((n) => n.op.kind === 'trees');
  let nearTies = 0;
  for (const strategy of hasTrees ? STRATEGIES : (['auto'] as const)) {
    const program = compile(pipeline, { backend, strategy });
    try {
      const got = await program.predict(Float32Array.from(rows.flat()));
      for (const [name, values] of Object.entries(want)) {
        if (name !== 'label') {
          expectClose(
            got[name] as Float32Array,
            (values as number[][]).flat(),
            tol.rtol,
            tol.atol,
            `${what} ${strategy} ${name}`,
          );
          continue;
        }
        const scores = (want.probabilities ?? want.scores) as number[][] | undefined;
        (got.label as (number | string)[]).forEach((label, r) => {
          if (label === values[r]) return;
          const row = scores?.[r];
          const top = row ? Math.max(...row) : Number.NaN;
          const mine = row?.[(pipeline.nodes.at(-1)!.op as { labels: unknown[] }).labels.indexOf(label)];
          if (!(mine !== undefined && top - mine <= tol.atol + tol.rtol * Math.abs(top)))
            expect.fail(`${what} ${strategy}: row ${r} label ${label}, expected ${values[r]}`);
          nearTies++;
        });
      }
    } finally {
      program.dispose();
    }
  }
  return nearTies;
}
