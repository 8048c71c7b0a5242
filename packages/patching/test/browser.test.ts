// What a browser user meets: the package bundles for the browser without Node builtins, and the
// shipped model loads from the `url` option, a failed fetch naming the URL and the HTTP status.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { builtinModules } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as T from '@tessera/tensor';
import { build, type Plugin } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PatchingError, tinyEntropyModel } from '../src/index.js';

const dist = (path: string) => fileURLToPath(new URL(`../dist/${path}`, import.meta.url));

/** Bundles `entry` for the browser; returns the Node builtins it reached and the files it took in. */
async function browserBundle(entry: string): Promise<{ builtins: string[]; inputs: string[] }> {
  const builtins: string[] = [];
  const known = new Set(builtinModules);
  // Records every import of a Node builtin (and lets the bundle finish, to list them all).
  const noBuiltins: Plugin = {
    name: 'record-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (a) => {
        const bare = a.path.replace(/^node:/, '');
        if (a.path.startsWith('node:') || known.has(bare) || known.has(bare.split('/')[0])) {
          builtins.push(`${a.path} (from ${a.importer})`);
          return { path: a.path, external: true };
        }
        return undefined;
      });
    },
  };
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // The other @tessera packages are bundled by their own tests; this one checks its own code.
    external: ['@tessera/*'],
    plugins: [noBuiltins],
  });
  expect(result.errors).toEqual([]);
  return { builtins, inputs: Object.keys(result.metafile.inputs) };
}

describe('browser bundle', () => {
  it('bundles dist/index.js with esbuild for the browser, reaching no Node builtin', async () => {
    const { builtins, inputs } = await browserBundle(dist('index.js'));
    expect(builtins).toEqual([]);
    // package.json "imports" gave the browser build of '#local-file', not the Node one.
    expect(inputs.some((f) => f.endsWith('local-file/browser.js'))).toBe(true);
    expect(inputs.some((f) => f.endsWith('local-file/node.js'))).toBe(false);
  });

  it('would catch a Node builtin: the Node build of #local-file reaches node:fs', async () => {
    const { builtins } = await browserBundle(dist('local-file/node.js'));
    expect(builtins.map((b) => b.split(' ')[0])).toEqual(['fs/promises']);
  });
});

describe('tinyEntropyModel from a URL', () => {
  const weights = readFileSync(new URL('../weights/entropy-tiny.safetensors', import.meta.url));
  const server = createServer((req, res) => {
    if (req.url === '/entropy-tiny.safetensors') res.end(weights);
    else {
      res.statusCode = 404;
      res.end('not found');
    }
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it('loads the weights served at `url`', async () => {
    const model = await tinyEntropyModel({ backend: T.cpuBackend, url: `${base}/entropy-tiny.safetensors` });
    expect(model.config.dim).toBeGreaterThan(0);
    model.dispose();
  });

  it('names the URL and the HTTP status of a failed fetch', async () => {
    const url = `${base}/missing.safetensors`;
    const failed = tinyEntropyModel({ backend: T.cpuBackend, url });
    await expect(failed).rejects.toThrow(PatchingError);
    await expect(failed).rejects.toThrow(
      `fetching ${url} gave HTTP 404 Not Found, expected 200 and the weights`,
    );
  });

  it('names the URL when nothing answers', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/entropy-tiny.safetensors`;
    await new Promise<void>((done) => closed.close(() => done()));
    await expect(tinyEntropyModel({ backend: T.cpuBackend, url })).rejects.toThrow(`fetching ${url} failed:`);
  });
});
