// @tessera/tensor against TensorFlow.js (cpu, wasm, webgpu on the same Dawn adapter), in one process.
// `pnpm --filter @tessera/tensor bench` (BENCH_QUICK=1 for a short run). Every timed call reads its
// result back, so queued GPU work is included.
import { printTable, QUICK, saveRecords, time } from '@tessera/bench';
import { shareAdapter, tf, useTfjs } from '@tessera/bench/tfjs';
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

async function measureTessera(backend, impl, records) {
  for (const c of cases) {
    const run = c.tessera(backend);
    const ms = await time(async () => {
      const out = T.tidy(run);
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

async function measureTfjs(impl, records) {
  for (const c of cases) {
    const run = c.tfjs();
    const ms = await time(async () => {
      const out = run();
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

const records = [];
await measureTessera(T.cpuBackend, 'tessera-cpu', records);
const gpu = await T.webgpuBackend().catch((e) => console.log(`tessera-webgpu: skipped (${e.message})`));
if (gpu) {
  console.log(`webgpu adapter: ${gpu.description}`);
  await measureTessera(gpu, 'tessera-webgpu', records);
  // A WebGPU adapter hands out one device, so tfjs gets a fresh handle on the same adapter (same
  // Dawn backend and feature level) rather than Tessera's.
  await shareAdapter((await findAdapter()).adapter);
}
for (const impl of ['cpu', 'wasm', ...(gpu ? ['webgpu'] : [])]) {
  const ok = await useTfjs(impl);
  if (ok !== true) console.log(`tfjs-${impl}: skipped (${ok})`);
  else await measureTfjs(`tfjs-${impl}`, records);
}
saveRecords(PKG, records);
printTable(records);
process.exit(0);
