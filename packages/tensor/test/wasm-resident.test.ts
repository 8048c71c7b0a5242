// Operands kept resident in the WebAssembly backend's memory between calls: a large buffer read
// again is copied in once, its copy read in place by later calls (in any view of it), dropped when
// the buffer is freed, and evicted least recently used first past the budget, the results always
// the CPU kernel's. And the runtime extension ops' WebAssembly kernels get.
import { afterAll, describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { createWasmBackend, type WasmBackend } from '../src/wasm/index.js';
import { randomTensor, rng } from './helpers.js';

const cpu = T.cpuBackend;
const opened: WasmBackend[] = [];
const open = async (options: Parameters<typeof createWasmBackend>[0]) => {
  const b = await createWasmBackend(options);
  opened.push(b);
  return b;
};
afterAll(() => {
  for (const b of opened) b.close();
});

/** A [256, 260] f32 weight: 266 240 bytes, past the size from which operands are kept. */
const WEIGHT: [number, number] = [256, 260];
const WEIGHT_BYTES = 256 * 260 * 4;

/** Asserts x · w on their backend (w viewed through `view`) equals the CPU kernel's, within f32 reordering. */
async function agree(x: T.Tensor, w: T.Tensor, view = (t: T.Tensor) => t) {
  const [xc, wc] = [await x.to(cpu), await w.to(cpu)];
  const want = (await T.matmul(xc, view(wc)).data()) as Float32Array;
  const got = (await T.tidy(() => T.matmul(x, view(w))).data()) as Float32Array;
  xc.dispose();
  wc.dispose();
  expect(got.length).toBe(want.length);
  // Sums of up to 65600 products of values in [-1, 1), in f32 in different orders (SIMD lanes and K
  // blocks against the CPU kernel's loop): errors of a few ulps of partial sums of size ~sqrt(K) ≤ 256.
  const off = want.filter((v, i) => !(Math.abs(got[i] - v) <= 1e-4 * (1 + Math.abs(v)))).length;
  expect(off).toBe(0);
}

describe.each([1, 3])('%i thread(s)', (threads) => {
  it('keeps a weight from its second use on, reads it in any view, drops it when freed', async () => {
    const wasm = await open({ threads });
    const r = rng(1);
    const w = randomTensor(r, WEIGHT, wasm);
    const x = randomTensor(r, [3, 256], wasm);
    const xt = randomTensor(r, [3, 260], wasm);
    await agree(x, w);
    // The first use copies it per call, like any operand.
    expect(wasm.resident()).toEqual({ bytes: 0, buffers: 0 });
    await agree(x, w);
    expect(wasm.resident()).toEqual({ bytes: WEIGHT_BYTES, buffers: 1 });
    const grown = wasm.memory.buffer.byteLength;
    // The same copy read transposed (x · wᵀ: the dot-product path) and by a one-row product.
    await agree(xt, w, T.transpose);
    await agree(T.narrow(x, 0, 0, 1), w);
    expect(wasm.resident()).toEqual({ bytes: WEIGHT_BYTES, buffers: 1 });
    w.dispose();
    expect(wasm.resident()).toEqual({ bytes: 0, buffers: 0 });
    // A new weight of the same size takes the freed space: the memory does not grow.
    const w2 = randomTensor(r, WEIGHT, wasm);
    await agree(x, w2);
    await agree(x, w2);
    expect(wasm.resident()).toEqual({ bytes: WEIGHT_BYTES, buffers: 1 });
    expect(wasm.memory.buffer.byteLength).toBe(grown);
    for (const t of [w2, x, xt]) t.dispose();
  });

  it('evicts the least recently used copies past its budget, never one the call reads', async () => {
    // Room for two weights, not three.
    const wasm = await open({ threads, residentBytes: 2 * WEIGHT_BYTES + 1000 });
    const r = rng(2);
    const ws = [0, 1, 2].map(() => randomTensor(r, WEIGHT, wasm));
    const x = randomTensor(r, [2, 256], wasm);
    const tally = { calls: 0, full: 0 };
    for (let round = 0; round < 3; round++) {
      for (const w of ws) {
        await agree(x, w);
        tally.calls++;
        const { bytes, buffers } = wasm.resident();
        expect(bytes).toBeLessThanOrEqual(2 * WEIGHT_BYTES + 1000);
        expect(bytes).toBe(buffers * WEIGHT_BYTES);
        if (buffers === 2) tally.full++;
      }
    }
    // Round 0 sees each weight once. Round 1 keeps each, the third evicting the first (which, evicted,
    // counts as unseen again); round 2 copies the first per call and reads the other two in place.
    expect(tally).toEqual({ calls: 9, full: 5 });
    for (const t of [...ws, x]) t.dispose();
    expect(wasm.resident()).toEqual({ bytes: 0, buffers: 0 });
    // Room for one: a product of two large operands keeps the first and copies the second per call,
    // since it may not evict a copy the same call reads.
    const one = await open({ threads, residentBytes: 2 * 65600 * 4 + 1000 });
    const [a, b] = [randomTensor(r, [2, 65600], one), randomTensor(r, [65600, 1], one)];
    for (let i = 0; i < 3; i++) await agree(a, b);
    expect(one.resident()).toEqual({ bytes: 2 * 65600 * 4, buffers: 1 });
    a.dispose();
    expect(one.resident()).toEqual({ bytes: 0, buffers: 0 });
    b.dispose();
  });

  it('with residentBytes 0 copies every operand on every call', async () => {
    const wasm = await open({ threads, residentBytes: 0 });
    const r = rng(3);
    const w = randomTensor(r, WEIGHT, wasm);
    const x = randomTensor(r, [1, 256], wasm);
    for (let i = 0; i < 3; i++) await agree(x, w);
    expect(wasm.resident()).toEqual({ bytes: 0, buffers: 0 });
    w.dispose();
    x.dispose();
  });
});

it('refuses a residentBytes that is not a non-negative integer', async () => {
  for (const bad of [-1, 1.5, Number.NaN])
    await expect(createWasmBackend({ residentBytes: bad })).rejects.toThrow(
      `createWasmBackend: residentBytes must be a non-negative integer, got ${bad}`,
    );
});

/** Dequantizes 4-bit codes with the code book 0..15 / 8 and scale per block of 32: an extension op. */
const decode4 = T.defineOp<{ n: number }>({
  name: 'test/decode4',
  infer: (_inputs, { n }) => ({ shape: [n], dtype: 'f32' }),
  grad: { nondifferentiable: 'codes are integers' },
  kernels: {
    cpu: (_out, [c, s], { n }) => {
      const bytes = new Uint8Array(c.handle.buffer, c.handle.byteOffset + 4 * c.offset);
      return Float32Array.from({ length: n }, (_, e) => {
        const code = e & 1 ? bytes[e >> 1] & 15 : bytes[e >> 1] >> 4;
        return Math.fround(code / 8) * s.handle[s.offset + Math.floor(e / 32)];
      });
    },
    webgpu: () => {
      throw new Error('not run: this test runs on the CPU and WebAssembly backends');
    },
    wasm: (rt, _out, inputs, { n }) => {
      const [codes, scales] = rt.operands(inputs);
      const book = Array.from({ length: 16 }, (_, i) => i / 8);
      return rt.codebook4Decode({ codes, scales, blockSize: 32, book, n: 1, k: n }, 0, n);
    },
  },
});

it("runs an extension op's WebAssembly kernel on the wasm backend, its CPU kernel elsewhere", async () => {
  const wasm = await open({ threads: 2 });
  const r = rng(4);
  const n = 1001;
  // Offsets into both buffers: views of larger ones.
  const words = Uint32Array.from({ length: 200 }, () => (r() * 2 ** 32) >>> 0);
  const scales = Float32Array.from({ length: 40 }, () => r());
  const run = (backend: T.Backend) => {
    const c = T.narrow(T.tensor(words, { backend, dtype: 'u32' }), 0, 3, 126);
    const s = T.narrow(T.tensor(scales, { backend }), 0, 5, 32);
    return decode4([c, s], { n });
  };
  const [got, want] = [await run(wasm).data(), await run(cpu).data()];
  // The same f32 products of the same values: bit for bit.
  expect(got).toEqual(want);
  // Without a wasm kernel, the op's CPU kernel runs on the wasm backend.
  const plain = T.defineOp<Record<string, never>>({
    name: 'test/plain',
    infer: ([x]) => ({ shape: x.shape, dtype: 'f32' }),
    grad: { nondifferentiable: 'test' },
    kernels: {
      cpu: (_out, [x]) => Float32Array.from(x.handle as Float32Array, (v) => v + 1),
      webgpu: () => {
        throw new Error('not run');
      },
    },
  });
  expect(await plain([T.tensor([1, 2], { backend: wasm })], {}).data()).toEqual(new Float32Array([2, 3]));
  // Operands of 1-byte elements have no place in the routines' 4-byte addressing: a clear error.
  const bytes = T.tensor(new Uint8Array(8), { backend: wasm });
  expect(() => decode4([bytes, T.tensor(scales, { backend: wasm })], { n: 16 })).toThrow(
    'WasmKernelRuntime.operands: operands must be f32, i32 or u32, got u8',
  );
});
