// Reading a file: URL, in Node only: package.json's "imports" maps '#local-file' here under the
// "node" condition and to ./browser.js elsewhere, so browser bundles never see node:fs.
import { readFile } from 'node:fs/promises';

/** The bytes of a file: URL. */
export const readLocalFile: ((url: URL) => Promise<Uint8Array>) | undefined = async (url) =>
  new Uint8Array(await readFile(url));
