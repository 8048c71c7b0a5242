// @tessera/tensor on each of its backends against TensorFlow.js (cpu, wasm, webgpu) and jax-js (wasm,
// webgpu), the WebGPU peers on the same Dawn adapter, in one process.
// `pnpm --filter @tessera/tensor bench` (BENCH_QUICK=1 for a short run; BENCH_CASES=<regex> runs
// the cases whose names match). Every timed call reads its result back, so lazy and queued GPU work
// is included.
import { QUICK, runSuite } from '@tessera/bench';
import { jax } from '@tessera/bench/jax';
import { jaxLibrary, measureCases, tesseraLibrary, tfjsLibrary } from '@tessera/bench/ops';
import { tf } from '@tessera/bench/tfjs';
import { findAdapter } from '@tessera/gpu';
import * as T from '@tessera/tensor';

const PKG = '@tessera/tensor';
const { numpy: np, nn } = jax;

/** A product of `a` by `b` (batched when 3-D), timed with its flops. */
const matmul = (name, a, b) => ({
  name,
  flops: 2 * a.slice(0, -1).reduce((x, y) => x * y, 1) * a.at(-1) * b.at(-1),
  shapes: [a, b],
  tessera: (x, y) => T.matmul(x, y),
  tfjs: (x, y) => tf.matMul(x, y),
  jax: (x, y) => np.matmul(x, y),
});

const sizes = QUICK ? [256, 512] : [256, 512, 1024];
const cases = [
  ...sizes.map((n) => matmul(`matmul ${n}x${n}x${n}`, [n, n], [n, n])),
  matmul('matmul batched 16x128x128x128', [16, 128, 128], [16, 128, 128]),
  // M = 1 through the general matmul entry point: what a decoder's token-by-token step issues.
  matmul('GEMV 1x4096x4096 f32', [1, 4096], [4096, 4096]),
  {
    name: 'softmax 512x1024',
    shapes: [[512, 1024]],
    tessera: (x) => T.softmax(x, -1),
    tfjs: (x) => tf.softmax(x, -1),
    jax: (x) => nn.softmax(x, -1),
  },
  {
    name: 'layer_norm 512x1024',
    shapes: [[512, 1024], [1024], [1024]],
    tessera: (x, w, b) => T.layerNorm(x, [1024], w, b),
    // tfjs-core has no fused layer norm: moments then normalize, as tfjs-layers' LayerNormalization does.
    tfjs: (x, w, b) => {
      const { mean, variance } = tf.moments(x, -1, true);
      return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), b);
    },
    // jax-js (as JAX) has no layer-norm op: flax's LayerNorm is standardize, then scale and shift.
    jax: (x, w, b) => nn.standardize(x, -1, { epsilon: 1e-5 }).mul(w).add(b),
  },
  // Elementwise kernels: one op, and GELU's chain (x·½·(1 + erf(x/√2))), which Tessera and jax-js
  // fuse into one kernel and TensorFlow.js runs op by op.
  {
    name: 'exp 512x1024',
    shapes: [[512, 1024]],
    tessera: (x) => T.exp(x),
    tfjs: (x) => tf.exp(x),
    jax: (x) => np.exp(x),
  },
  {
    name: 'gelu 512x1024',
    shapes: [[512, 1024]],
    tessera: (x) => T.gelu(x),
    tfjs: (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))),
    jax: (x) => nn.gelu(x, { approximate: false }),
  },
].filter((c) => !process.env.BENCH_CASES || new RegExp(process.env.BENCH_CASES).test(c.name));

await runSuite(
  PKG,
  {
    tessera: (backend, impl, records) =>
      measureCases(PKG, impl, 'tessera', tesseraLibrary(T, backend), cases, records),
    tfjs: (impl, records) => measureCases(PKG, impl, 'tfjs', tfjsLibrary, cases, records),
    jax: (impl, records) => measureCases(PKG, impl, 'jax', jaxLibrary, cases, records),
  },
  { T, findAdapter },
);
process.exit(0);
