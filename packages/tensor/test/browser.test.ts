// The WebGPU backend in a real browser: Debian's Chromium (headless, SwiftShader) driven by
// playwright-core, on a page served from 127.0.0.1 (WebGPU needs a secure context).
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const required = process.env.TESSERA_REQUIRE_WEBGPU === '1';
const present = existsSync(CHROMIUM);
if (required && !present)
  throw new Error(`TESSERA_REQUIRE_WEBGPU=1 but no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!present)('in Chromium', () => {
  it('computes values and gradients on navigator.gpu', async () => {
    const bundle = async (file: string) =>
      (
        await build({
          entryPoints: [new URL(file, import.meta.url).pathname],
          bundle: true,
          format: 'esm',
          platform: 'browser',
          write: false,
          logLevel: 'silent',
        })
      ).outputFiles[0].text;
    const scripts: Record<string, string> = {
      '/entry.js': await bundle('./browser/entry.ts'),
      '/wasm-worker.js': await bundle('./browser/wasm-worker.ts'),
    };
    // /isolated is cross-origin isolated (COOP + COEP), so its workers get SharedArrayBuffer.
    const isolation = {
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    };
    const server = http.createServer((req, res) => {
      const script = scripts[req.url ?? ''];
      if (script) {
        res.writeHead(200, { 'content-type': 'text/javascript', ...isolation });
        res.end(script);
      } else {
        res.writeHead(200, { 'content-type': 'text/html', ...(req.url === '/isolated' ? isolation : {}) });
        res.end('<!doctype html><script type="module" src="/entry.js"></script>');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'tessera-chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/`);
      await page.waitForFunction(() => typeof window.runTessera === 'function');
      const r = await page.evaluate(() => window.runTessera());
      console.log(`browser webgpu adapter: ${r.description}`);
      expect(r.backend).toBe('webgpu');
      expect(r.product).toEqual([
        [7, 10],
        [15, 22],
      ]);
      // d/dX sum((XX)²) = 2(XX)Xᵀ + Xᵀ·2(XX)
      expect(r.loss).toBe(7 ** 2 + 10 ** 2 + 15 ** 2 + 22 ** 2);
      expect(r.grad).toEqual([
        [2 * (7 * 1 + 10 * 2) + 2 * (1 * 7 + 3 * 15), 2 * (7 * 3 + 10 * 4) + 2 * (1 * 10 + 3 * 22)],
        [2 * (15 * 1 + 22 * 2) + 2 * (2 * 7 + 4 * 15), 2 * (15 * 3 + 22 * 4) + 2 * (2 * 10 + 4 * 22)],
      ]);
      expect(r.rowSumError as number).toBeLessThan(1e-5);
      expect(r.attentionError as number).toBeLessThan(1e-5);
      // The page is not cross-origin isolated, so it has no SharedArrayBuffer for worker threads.
      expect(r.wasmDescription).toBe('WebAssembly SIMD, single-threaded (no SharedArrayBuffer)');
      // float32 sums of 300 products of normal values against the CPU kernel's (another order).
      expect(r.wasmMatmulError as number).toBeLessThan(1e-3);
      expect(r.wasmSoftmaxError as number).toBeLessThan(1e-6);
      // Both compute in double precision and round once to float32 (or the same JavaScript runs):
      // at most 1 float32 ulp apart, relative.
      expect(r.wasmGeluError as number).toBeLessThanOrEqual(1.2e-7);

      // In a worker of a cross-origin-isolated page, the backend runs on worker threads of its own.
      const isolated = await browser.newPage();
      await isolated.goto(`http://127.0.0.1:${port}/isolated`);
      await isolated.waitForFunction(() => typeof window.runWasmWorker === 'function');
      const w = await isolated.evaluate(() => window.runWasmWorker());
      console.log(`browser worker: ${w.description}`);
      expect(w.threads as number).toBeGreaterThan(1);
      expect(w.description).toBe(`WebAssembly SIMD, ${w.threads} threads`);
      expect(w.matmulError as number).toBeLessThan(1e-3);
      // exp of 180,000 elements, split between threads: at most 1 float32 ulp from the CPU's.
      expect(w.expError as number).toBeLessThanOrEqual(1.2e-7);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
