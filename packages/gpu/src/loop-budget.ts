/**
 * Some adapters stop a shader's loops after a fixed number of iterations instead of running them to
 * the end. Mesa's llvmpipe (the software adapter behind Dawn's OpenGL ES backend on machines
 * without a GPU) shares one counter of 65,535 loop iterations between every loop of an invocation
 * (`LP_MAX_TGSI_LOOP_ITERATIONS` in gallivm): past it, every loop exits early and the kernel
 * returns a silently wrong result. Kernels whose loops grow with the data therefore split their
 * work into dispatches that each stay within the budget measured here.
 */

/** Iterations the probe asks for: far above any known limiter, cheap to run once. */
const PROBE_ITERATIONS = 1 << 20;

const PROBE_WGSL = `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> n: vec4<u32>;
@compute @workgroup_size(1)
fn main() {
  var count = 0u;
  // The trip count comes from a uniform, so no compiler can unroll or fold the loop.
  for (var i = 0u; i < n.x; i = i + 1u) { count = count + 1u; }
  out[0] = count;
}`;

/**
 * Runs a single-invocation loop of 2^20 iterations and returns how many ran: the adapter's loop
 * budget per invocation, or `Infinity` when the loop ran to the end (no limiter).
 */
export async function measureLoopBudget(device: GPUDevice): Promise<number> {
  const module = device.createShaderModule({ code: PROBE_WGSL, label: 'gpu/loop-budget' });
  const pipeline = device.createComputePipeline({
    layout: 'auto',
    compute: { module, entryPoint: 'main' },
    label: 'gpu/loop-budget',
  });
  const out = device.createBuffer({ size: 16, usage: 0x0080 | 0x0004 }); // STORAGE | COPY_SRC
  const n = device.createBuffer({ size: 16, usage: 0x0040, mappedAtCreation: true }); // UNIFORM
  new Uint32Array(n.getMappedRange()).set([PROBE_ITERATIONS, 0, 0, 0]);
  n.unmap();
  const staging = device.createBuffer({ size: 16, usage: 0x0001 | 0x0008 }); // MAP_READ | COPY_DST
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: out } },
        { binding: 1, resource: { buffer: n } },
      ],
    }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(out, 0, staging, 0, 16);
  device.queue.submit([encoder.finish()]);
  try {
    await staging.mapAsync(0x0001);
    const ran = new Uint32Array(staging.getMappedRange())[0];
    staging.unmap();
    return ran >= PROBE_ITERATIONS ? Number.POSITIVE_INFINITY : ran;
  } finally {
    for (const b of [out, n, staging]) b.destroy();
  }
}
