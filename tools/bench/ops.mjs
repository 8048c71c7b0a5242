// One op timed alike on every library: random inputs made once and computed before timing (a lazy
// library would otherwise regenerate them inside each timed run), then each repetition runs the op
// and reads its result back (so lazy and queued GPU work is included), and the inputs are freed after.
// A case is { name, flops?, shapes, tessera, tfjs, jax }, the last three being the op written with
// each library (taking the inputs, returning the output).
import { time } from './index.mjs';
import { jax } from './jax.mjs';
import { tf } from './tfjs.mjs';

/**
 * @typedef {{ randn: (shape: number[], seed: number) => Promise<any>, prepare: (op: Function) => Function,
 *   run: (op: Function, inputs: any[]) => Promise<void>, free: (inputs: any[], op: Function) => void }} Library
 */

/**
 * Tessera on `backend`; `T` is the caller's `@tessera/tensor`.
 * @returns {Library}
 */
export const tesseraLibrary = (T, backend) => ({
  randn: async (shape, seed) => {
    const x = T.randn(shape, { backend, generator: new T.Generator(seed) });
    await x.data();
    return x;
  },
  prepare: (op) => op,
  run: async (op, xs) => {
    const y = T.tidy(() => op(...xs));
    await y.data();
    y.dispose();
  },
  free: (xs) => {
    for (const x of xs) x.dispose();
  },
});

/** TensorFlow.js on its current backend. @type {Library} */
export const tfjsLibrary = {
  randn: async (shape) => {
    const x = tf.randomNormal(shape);
    await x.data();
    return x;
  },
  prepare: (op) => op,
  run: async (op, xs) => {
    const y = tf.tidy(() => op(...xs));
    await y.data();
    y.dispose();
  },
  free: (xs) => tf.dispose(xs),
};

/**
 * jax-js on its default device, each op compiled once with `jit` (as jax-js code is written for
 * speed: `jit` is what fuses). `data()` reads the result back and releases it.
 * @type {Library}
 */
export const jaxLibrary = {
  randn: async (shape, seed) => {
    const x = jax.random.normal(jax.random.key(seed), shape);
    await x.blockUntilReady();
    return x;
  },
  prepare: (op) => jax.jit(op),
  run: async (op, xs) => {
    await op(...xs.map((x) => x.ref)).data();
  },
  free: (xs, op) => {
    jax.tree.dispose(xs);
    op.dispose();
  },
};

/**
 * Times every case on one library and pushes the median ms (and GFLOP/s where a case counts flops).
 * @param {string} pkg
 * @param {string} impl the record's impl, e.g. `jax-wasm`
 * @param {'tessera' | 'tfjs' | 'jax'} key which of each case's ops to run
 * @param {Library} library
 * @param {object[]} cases
 * @param {import('./index.mjs').BenchRecord[]} records
 */
export async function measureCases(pkg, impl, key, library, cases, records) {
  for (const c of cases) {
    // A peer that cannot run a case is reported, not fatal.
    try {
      const ms = await timeCase(c, key, library);
      records.push({ package: pkg, name: c.name, impl, metric: 'ms', value: ms, unit: 'ms' });
      if (c.flops)
        records.push({
          package: pkg,
          name: c.name,
          impl,
          metric: 'gflops',
          value: c.flops / ms / 1e6,
          unit: 'GFLOP/s',
        });
    } catch (e) {
      console.log(`${impl}: '${c.name}' skipped (${e?.message ?? e})`);
    }
  }
}

/** Median ms of one case on one library, its inputs and compiled op freed after. */
async function timeCase(c, key, library) {
  const inputs = await Promise.all(c.shapes.map((shape, i) => library.randn(shape, i + 1)));
  const op = library.prepare(c[key]);
  try {
    return await time(() => library.run(op, inputs));
  } finally {
    library.free(inputs, op);
  }
}
