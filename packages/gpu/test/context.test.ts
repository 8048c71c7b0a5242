import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { GpuContext, GpuDeviceLostError, GpuKernelError, GpuUnavailableError } from '../src/index.js';

const required = process.env.TESSERA_REQUIRE_WEBGPU === '1';
const ctx = await GpuContext.create({ maxBatch: 8 }).catch((e: Error) => {
  if (required) throw e;
  return undefined;
});

const ADD_ONE = `
@group(0) @binding(0) var<storage, read_write> data: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&data)) { data[id.x] = data[id.x] + 1.0; }
}`;

describe.skipIf(!ctx)('GpuContext on the real adapter', () => {
  const c = ctx!;
  afterAll(() => c.destroy());

  it('describes the adapter and requests its limits', () => {
    expect(c.adapterDescription).toMatch(/ via (navigator\.gpu|dawn:)/);
    expect(c.limits.maxComputeInvocationsPerWorkgroup).toBe(
      c.found.adapter.limits.maxComputeInvocationsPerWorkgroup,
    );
    expect(c.limits.maxStorageBufferBindingSize).toBe(c.found.adapter.limits.maxStorageBufferBindingSize);
  });

  it('reuses pooled buffers by size class and counts live ones', () => {
    const before = c.liveBuffers;
    const a = c.createBuffer(1000);
    expect(c.liveBuffers).toBe(before + 1);
    c.releaseBuffer(a);
    expect(c.liveBuffers).toBe(before);
    const b = c.createBuffer(1024);
    expect(b).toBe(a);
    const d = c.createBuffer(5000);
    expect(d).not.toBe(a);
    c.releaseBuffer(b);
    c.releaseBuffer(d);
  });

  it('round-trips bytes, including sizes and offsets that are not multiples of 4', async () => {
    const buf = c.createBuffer(64);
    c.write(buf, new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    expect([...new Uint8Array(await c.read(buf, 7))]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    c.write(buf, new Float32Array([1.5, -2, 3.25]), 16);
    expect([...new Float32Array(await c.read(buf, 8, 20))]).toEqual([-2, 3.25]);
    // Reads may start and end anywhere inside a word.
    expect([...new Uint8Array(await c.read(buf, 5, 1))]).toEqual([2, 3, 4, 5, 6]);
    expect([...new Uint8Array(await c.read(buf, 1, 6))]).toEqual([7]);
    // Writes move whole words: the rest of the last word becomes 0.
    c.write(buf, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    c.write(buf, new Uint8Array([42]));
    expect([...new Uint8Array(await c.read(buf, 8))]).toEqual([42, 0, 0, 0, 5, 6, 7, 8]);
    c.releaseBuffer(buf);
  });

  it('refuses a write at an offset WebGPU cannot address, at once and by name', async () => {
    const buf = c.createBuffer(16);
    expect(() => c.write(buf, new Uint8Array([1]), 2)).toThrow(GpuKernelError);
    expect(() => c.write(buf, new Uint8Array([1]), 2)).toThrow(
      /'write'.*byteOffset 2 is not a multiple of 4/,
    );
    await c.sync(); // nothing reached the device
    c.releaseBuffer(buf);
  });

  it('caches pipelines by their WGSL and batches dispatches into one submit per flush', async () => {
    const compiled = c.compiledPipelines;
    const k1 = c.kernel('test/add_one', ADD_ONE);
    // The same text built anew (another string object) and under another label: one pipeline.
    const k2 = c.kernel('test/add_one_again', [...ADD_ONE].join(''));
    expect(k2).toBe(k1);
    expect(c.compiledPipelines).toBe(compiled + 1);
    // One character more is another program.
    expect(c.kernel('test/add_one', `${ADD_ONE}\n`)).not.toBe(k1);
    expect(c.compiledPipelines).toBe(compiled + 2);

    const buf = c.createBuffer(400);
    c.write(buf, new Float32Array(100));
    const submits = c.submits;
    const dispatches = c.dispatches;
    for (let i = 0; i < 5; i++) c.dispatch(k1, [buf], [2]);
    expect(c.dispatches).toBe(dispatches + 5);
    expect(c.submits).toBe(submits); // still recorded, not submitted
    const out = new Float32Array(await c.read(buf, 400));
    expect(c.submits).toBe(submits + 1);
    expect(out.every((v) => v === 5)).toBe(true);
    // maxBatch is 8: the ninth dispatch finds the first eight already submitted together.
    for (let i = 0; i < 9; i++) c.dispatch(k1, [buf], [2]);
    expect(c.submits).toBe(submits + 2);
    expect(new Float32Array(await c.read(buf, 4))[0]).toBe(14);
    c.releaseBuffer(buf);
  });

  it('caches uniform blocks by content', () => {
    const a = c.uniform([1, 2, 3]);
    expect(c.uniform([1, 2, 3])).toBe(a);
    expect(c.uniform([1, 2, 4])).not.toBe(a);
  });

  it('splits large dispatches into a 2-D grid within the per-dimension limit', () => {
    const max = c.limits.maxComputeWorkgroupsPerDimension;
    expect(c.grid(10)).toEqual([10, 1]);
    const [x, y] = c.grid(max * 3 + 1);
    expect(x).toBeLessThanOrEqual(max);
    expect(x * y).toBeGreaterThanOrEqual(max * 3 + 1);
  });

  it('turns a WGSL error into a GpuKernelError naming the kernel', async () => {
    const bad = c.kernel('test/broken_kernel', 'fn main() { let x: f32 = undefined_thing; }');
    const buf = c.createBuffer(16);
    try {
      c.dispatch(bad, [buf], [1]);
    } catch {
      // Dawn may already refuse the invalid pipeline here; the error below is what callers see either way.
    }
    const err = await c.sync().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GpuKernelError);
    expect((err as GpuKernelError).kernel).toContain('test/broken_kernel');
    expect((err as Error).message).toMatch(/WebGPU validation error in kernel 'test\/broken_kernel/);
    // Reported once: the next sync is clean.
    await c.sync();
    c.releaseBuffer(buf);
    // The context keeps working afterwards.
    const ok = c.createBuffer(16);
    c.write(ok, new Float32Array([7]));
    expect(new Float32Array(await c.read(ok, 4))[0]).toBe(7);
    c.releaseBuffer(ok);
  });

  it('rejects the next read with the error of a broken kernel dispatched before it', async () => {
    const bad = c.kernel('test/broken_before_read', '@compute fn main( {');
    const buf = c.createBuffer(16);
    try {
      c.dispatch(bad, [buf], [1]);
    } catch {
      // As above: the read below reports it either way.
    }
    await expect(c.read(buf, 4)).rejects.toThrow(/kernel 'test\/broken_before_read/);
    c.write(buf, new Int32Array([-3]));
    expect(new Int32Array(await c.read(buf, 4))[0]).toBe(-3);
    c.releaseBuffer(buf);
  });

  it('refuses a buffer larger than the adapter can bind, naming the sizes', () => {
    const max = c.limits.maxStorageBufferBindingSize;
    expect(() => c.createBuffer(max + 4)).toThrow(GpuKernelError);
    expect(() => c.createBuffer(max + 4)).toThrow(
      new RegExp(`asked for ${max + 4} bytes, the adapter binds at most ${max}`),
    );
  });
});

describe.skipIf(!ctx)('loop budget', () => {
  // A loop whose trip count comes from the parameter word, counting its own iterations.
  const COUNT = `
@group(0) @binding(0) var<storage, read_write> out: array<u32>;
@group(0) @binding(1) var<uniform> n: vec4<u32>;
@compute @workgroup_size(1)
fn main() {
  var c = 0u;
  for (var i = 0u; i < n.x; i = i + 1u) { c = c + 1u; }
  out[0] = c;
}`;
  async function loopRuns(c: GpuContext, n: number): Promise<number> {
    const buf = c.createBuffer(16);
    c.dispatch(c.kernel('test/count', COUNT), [buf, c.uniform([n, 0, 0, 0])], [1]);
    const ran = new Uint32Array(await c.read(buf, 4))[0];
    c.releaseBuffer(buf);
    return ran;
  }

  it('is what the adapter runs: a loop within it runs to the end, one past it is cut short', async () => {
    const c = await GpuContext.create();
    onTestFinished(() => c.destroy());
    const budget = c.loopBudget;
    expect(budget === Number.POSITIVE_INFINITY || (Number.isInteger(budget) && budget > 1000)).toBe(true);
    if (budget === Number.POSITIVE_INFINITY) {
      expect(await loopRuns(c, 3_000_000)).toBe(3_000_000);
    } else {
      // Mesa's llvmpipe (the CI adapter) stops after 65,535 iterations.
      expect(await loopRuns(c, budget)).toBe(budget);
      expect(await loopRuns(c, budget + 5000)).toBe(budget);
    }
  });

  it("can be capped below the adapter's, and a cap must be at least 1", async () => {
    const c = await GpuContext.create({ loopBudget: 300 });
    expect(c.loopBudget).toBe(300);
    c.destroy();
    await expect(GpuContext.create({ loopBudget: 0 })).rejects.toThrow(
      /loopBudget must be a number >= 1, got 0/,
    );
  });
});

describe.skipIf(!ctx)('device loss', () => {
  it('is detected and every later call says so', async () => {
    const c = await GpuContext.create();
    c.device.destroy();
    await c.device.lost;
    await new Promise((r) => setTimeout(r, 0));
    expect(() => c.createBuffer(16)).toThrow(GpuDeviceLostError);
    expect(() => c.createBuffer(16)).toThrow(/device lost \(reason: destroyed\)/);
  });
});

describe('no adapter', () => {
  it('explains what is missing', async () => {
    const err = await GpuContext.create({ dawnBackends: [['backend=null-does-not-exist']] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // With navigator.gpu (a browser) an adapter is found anyway; under Node this must fail clearly.
    if (err) {
      expect(err).toBeInstanceOf(GpuUnavailableError);
      expect((err as Error).message).toMatch(
        /No WebGPU adapter: Dawn \[backend=null-does-not-exist\] failed: .*unrecognised backend/,
      );
    }
  });
});
