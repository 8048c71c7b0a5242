// Every ```ts / ```js block of every README and documentation page runs as written: as an ES module
// in a fresh Node process that imports the workspace's packages. Blocks that are not programs
// (shell commands, output) use other fence languages.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { documentationFiles, runnableBlocks } from '../src/markdown.js';
import { failure, runSnippet, where } from '../src/snippet.js';
import { needsWebgpu, webgpuBlocksRun } from '../src/webgpu.js';

// Inside this package's node_modules, so a snippet's imports resolve to the workspace's packages.
const snippetDir = join(import.meta.dirname, '..', 'node_modules', '.snippets');
rmSync(snippetDir, { recursive: true, force: true });
const webgpuRuns = await webgpuBlocksRun();

const files = documentationFiles();
const blocks = files.flatMap(runnableBlocks);

describe('README and documentation code blocks', () => {
  it('are found in the READMEs of every package (the harness reads what it should)', () => {
    expect(files).toContain('README.md');
    expect(files).toContain('docs/guide/getting-started.md');
    for (const pkg of [
      'packages/gpu',
      'packages/tensor',
      'packages/nn',
      'packages/quant',
      'packages/patching',
      'kernels',
    ]) {
      expect(
        blocks.some((b) => b.file === `${pkg}/README.md`),
        pkg,
      ).toBe(true);
    }
  });

  for (const block of blocks) {
    it.skipIf(needsWebgpu(block) && !webgpuRuns)(`${where(block)} runs`, () => {
      const run = runSnippet(block, snippetDir, 120);
      expect(run.ok, failure(block, run)).toBe(true);
    });
  }
});
