import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import type { CodeBlock } from './markdown.js';

/** What running a block gave. */
export interface SnippetRun {
  ok: boolean;
  /** The exit status, or the signal that ended it (a timeout kills it). */
  status: number | string;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `README.md:12`: where a block starts, as an editor opens it. */
export const where = (block: CodeBlock): string => `${block.file}:${block.line}`;

/** The block as a JavaScript ES module (TypeScript's types stripped, nothing else changed). */
export function toModule(block: CodeBlock): string {
  const loader = block.lang.startsWith('t') ? 'ts' : 'js';
  return transformSync(block.code, { loader, format: 'esm', target: 'es2022', sourcefile: where(block) })
    .code;
}

/**
 * Runs a block as an ES module in a fresh Node process. The module is written into `dir`, so its
 * imports (`@tessera/…`) resolve from the node_modules that `dir` sees.
 */
export function runSnippet(block: CodeBlock, dir: string, timeoutSeconds: number): SnippetRun {
  mkdirSync(dir, { recursive: true });
  const name = `${block.file.replace(/[^A-Za-z0-9]+/g, '-')}-${block.line}.mjs`;
  const path = join(dir, name);
  writeFileSync(path, `// ${where(block)}\n${toModule(block)}`);
  const started = performance.now();
  const run = spawnSync(process.execPath, [path], {
    cwd: dir,
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    env: process.env,
  });
  return {
    ok: run.status === 0,
    status: run.status ?? run.signal ?? 'unknown',
    stdout: run.stdout,
    stderr: run.stderr,
    seconds: (performance.now() - started) / 1000,
  };
}

/** A failure message naming the block and showing the end of what it printed. */
export function failure(block: CodeBlock, run: SnippetRun): string {
  const tail = (s: string) => s.split('\n').slice(-25).join('\n');
  return `${where(block)} (a \`\`\`${block.lang} block) exited with ${run.status} after ${run.seconds.toFixed(1)} s:\n${tail(run.stderr)}\n--- stdout ---\n${tail(run.stdout)}`;
}
