import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository root (this package lives in tools/package-check). */
export const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** The file, relative to the repository root. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (its first word), lower-case; '' when none. */
  lang: string;
  code: string;
}

/** Languages whose blocks are programs to run; any other fence (sh, text, json, …) is not run. */
export const RUNNABLE = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);

/** The fenced code blocks of a Markdown text (``` or ~~~ fences, as CommonMark closes them). */
export function codeBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) {
      body.push(lines[j]);
      j++;
    }
    blocks.push({ file, line: i + 1, lang: open[2].toLowerCase(), code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The runnable blocks of one Markdown file of the repository. */
export function runnableBlocks(file: string): CodeBlock[] {
  const text = readFileSync(join(repoRoot, file), 'utf8');
  return codeBlocks(text, file).filter((b) => RUNNABLE.has(b.lang));
}

/** Every README of the repository and the documentation's own pages, relative to the root. */
export function documentationFiles(): string[] {
  const files = ['README.md'];
  for (const dir of ['packages', 'apps', 'tools']) {
    for (const name of readdirSync(join(repoRoot, dir)).sort()) {
      if (existsSync(join(repoRoot, dir, name, 'README.md'))) files.push(`${dir}/${name}/README.md`);
    }
  }
  files.push('kernels/README.md');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) files.push(relative(repoRoot, path));
    }
  };
  walk(join(repoRoot, 'docs'));
  return files;
}
