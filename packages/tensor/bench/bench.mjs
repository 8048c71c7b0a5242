// @tessera/tensor against TensorFlow.js (cpu, wasm, webgpu on the same Dawn adapter), in one process.
// `pnpm --filter @tessera/tensor bench` (BENCH_QUICK=1 for a short run). Every timed call reads its
// result back, so queued GPU work is included.
import { QUICK, runSuite, time } from '@tessera/bench';
import { tf } from '@tessera/bench/tfjs';
import { findAdapter } from '@tessera/gpu';
import * as T from '@tessera/tensor';

const PKG = '@tessera/tensor';

/** Each case: a name, flops (for GFLOP/s) and how to build/run it on Tessera and on tfjs. */
const sizes = QUICK ? [256, 512] : [256, 512, 1024];
const cases = [
  ...sizes.map((n) => ({
    name: `matmul ${n}x${n}x${n}`,
    flops: 2 * n ** 3,
    tessera: (b) => {
      const a = T.randn([n, n], { backend: b });
      const c = T.randn([n, n], { backend: b });
      return () => T.matmul(a, c);
    },
    tfjs: () => {
      const a = tf.randomNormal([n, n]);
      const c = tf.randomNormal([n, n]);
      return () => tf.matMul(a, c);
    },
  })),
  {
    name: 'matmul batched 16x128x128x128',
    flops: 2 * 16 * 128 ** 3,
    tessera: (b) => {
      const a = T.randn([16, 128, 128], { backend: b });
      const c = T.randn([16, 128, 128], { backend: b });
      return () => T.matmul(a, c);
    },
    tfjs: () => {
      const a = tf.randomNormal([16, 128, 128]);
      const c = tf.randomNormal([16, 128, 128]);
      return () => tf.matMul(a, c);
    },
  },
  {
    name: 'softmax 512x1024',
    tessera: (b) => {
      const x = T.randn([512, 1024], { backend: b });
      return () => T.softmax(x, -1);
    },
    tfjs: () => {
      const x = tf.randomNormal([512, 1024]);
      return () => tf.softmax(x, -1);
    },
  },
  {
    name: 'layer_norm 512x1024',
    tessera: (b) => {
      const x = T.randn([512, 1024], { backend: b });
      const w = T.ones([1024], { backend: b });
      const bias = T.zeros([1024], { backend: b });
      return () => T.layerNorm(x, [1024], w, bias);
    },
    tfjs: () => {
      const x = tf.randomNormal([512, 1024]);
      const w = tf.ones([1024]);
      const bias = tf.zeros([1024]);
      // tfjs-core has no fused layer norm: moments then normalize, as tfjs-layers' LayerNormalization does.
      return () =>
        tf.tidy(() => {
          const { mean, variance } = tf.moments(x, -1, true);
          return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), w), bias);
        });
    },
  },
];

/** Times every case with `make` building its run function, recording ms (and GFLOP/s). */
async function measure(impl, records, make, scope) {
  for (const c of cases) {
    const run = make(c);
    const ms = await time(async () => {
      const out = scope(run);
      await out.data();
      out.dispose();
    });
    records.push({ package: PKG, name: c.name, impl, metric: 'ms', value: ms, unit: 'ms' });
    if (c.flops)
      records.push({
        package: PKG,
        name: c.name,
        impl,
        metric: 'gflops',
        value: c.flops / ms / 1e6,
        unit: 'GFLOP/s',
      });
  }
}

await runSuite(
  PKG,
  {
    tessera: (backend, impl, records) => measure(impl, records, (c) => c.tessera(backend), T.tidy),
    tfjs: (impl, records) => measure(impl, records, (c) => c.tfjs(), tf.tidy),
  },
  { T, findAdapter },
);
process.exit(0);
