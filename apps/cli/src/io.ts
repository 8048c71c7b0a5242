import { readFile } from 'node:fs/promises';

/** Collects the lines a command prints, also passing each to `print`. */
export function lineCollector(print: (line: string) => void): { lines: string[]; out: (s: string) => void } {
  const lines: string[] = [];
  return {
    lines,
    out: (s) => {
      lines.push(s);
      print(s);
    },
  };
}

/** The bytes of an input file; a missing, unreadable or empty file is an error naming it. */
export async function readInputBytes(file: string): Promise<Uint8Array> {
  const all = await readFile(file).then(
    (b) => new Uint8Array(b),
    (e: NodeJS.ErrnoException) => {
      throw new Error(`cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    },
  );
  if (all.length === 0) throw new Error(`${file}: the file is empty`);
  return all;
}
