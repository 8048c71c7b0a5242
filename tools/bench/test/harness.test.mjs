// The harness's own logic: which Tessera backends a build offers, the ratios printed, and the Web
// Worker that gives jax-js its threads in Node.
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { tesseraBackends } from '../backends.mjs';
import { printTable } from '../table.mjs';
import '../web-worker.mjs';

/** What `run` printed with console.log, one string per call. */
async function printed(run) {
  const log = mock.method(console, 'log', () => {});
  try {
    await run();
    return log.mock.calls.map((c) => c.arguments.join(' '));
  } finally {
    log.mock.restore();
  }
}

describe('tesseraBackends', () => {
  it('takes each backend from its export and skips, with the reason, one it cannot make', async () => {
    const T = {
      cpuBackend: { name: 'cpu', description: 'plain JS' },
      createWasmBackend: async () => {
        throw new Error('no WebAssembly SIMD here');
      },
      webgpuBackend: async () => ({ name: 'webgpu', description: 'llvmpipe' }),
    };
    let found;
    const lines = await printed(async () => {
      found = await tesseraBackends(T);
    });
    assert.deepEqual(
      found.map((b) => b.impl),
      ['tessera-cpu', 'tessera-webgpu'],
    );
    assert.equal(found[1].backend.description, 'llvmpipe');
    assert.deepEqual(lines, [
      'tessera-cpu: plain JS',
      'tessera-wasm: skipped (no WebAssembly SIMD here)',
      'tessera-webgpu: llvmpipe',
    ]);
  });

  it('says which export is missing, and refuses a backend that reports another name', async () => {
    const T = {
      cpuBackend: { name: 'cpu', description: 'plain JS' },
      webgpuBackend: () => ({ name: 'cpu' }),
    };
    let found;
    const lines = await printed(async () => {
      found = await tesseraBackends(T);
    });
    assert.deepEqual(
      found.map((b) => b.name),
      ['cpu'],
    );
    assert.equal(
      lines[1],
      'tessera-wasm: skipped (@tessera/tensor exports neither wasmBackend nor createWasmBackend)',
    );
    assert.equal(lines[2], "tessera-webgpu: skipped (webgpuBackend gave a backend named 'cpu')");
  });
});

describe('printTable', () => {
  const rec = (name, impl, value) => ({ package: 'p', name, impl, metric: 'ms', value, unit: 'ms' });

  it('prints peer ms / Tessera ms, taking the faster of each side where the aim names two', async () => {
    const records = [
      rec('op', 'tessera-cpu', 10),
      rec('op', 'tessera-wasm', 4),
      rec('op', 'tfjs-cpu', 40),
      rec('op', 'tfjs-wasm', 6),
      rec('op', 'jax-wasm', 2),
      rec('op', 'tessera-webgpu', 8),
      rec('op', 'tfjs-webgpu', 12),
    ];
    const [header, row] = await printed(() => printTable(records));
    const cells = (line) => line.trim().split(/\s{2,}/);
    const byColumn = Object.fromEntries(cells(header).map((h, i) => [h, cells(row)[i]]));
    assert.equal(byColumn['cpu vs best wasm peer'], '0.50×'); // jax-wasm 2 / tessera-wasm 4
    assert.equal(byColumn['cpu vs tfjs-cpu'], '10.00×'); // 40 / 4
    assert.equal(byColumn['webgpu vs tfjs-webgpu'], '1.50×');
    assert.equal(byColumn['webgpu vs jax-webgpu'], '—'); // not measured
    assert.equal(byColumn['jax-wasm'], '2.00');
  });
});

describe('Worker over worker_threads', () => {
  it('runs a blob: script that answers through postMessage and writes shared memory', async () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const source = `self.onmessage = (e) => {
      new Int32Array(e.data.memory.buffer)[e.data.at] = 42;
      postMessage({ ok: true, at: e.data.at });
    };`;
    const worker = new Worker(URL.createObjectURL(new Blob([source])));
    const answer = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => reject(new Error(e.message));
      worker.postMessage({ memory, at: 3 });
    });
    worker.terminate();
    assert.deepEqual(answer, { ok: true, at: 3 });
    assert.equal(new Int32Array(memory.buffer)[3], 42);
  });

  it('refuses a URL that is not a blob: URL, naming it', () => {
    assert.throws(
      () => new Worker('file:///worker.js'),
      /only blob: URLs are supported here, got file:\/\/\/worker\.js/,
    );
  });
});
