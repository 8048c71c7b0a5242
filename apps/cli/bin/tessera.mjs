#!/usr/bin/env node
// `tessera` in the repository (`npx -y pnpm@10 tessera …` from the root). pnpm runs this bin rather
// than a package script, so a failing command ends with the CLI's own message and exit code and no
// pnpm ELIFECYCLE notice. First it builds the CLI and what it imports (turbo: instant when nothing
// changed), and lets Dawn's OpenGL ES backend use Mesa without a display, as the package scripts do.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

process.env.EGL_PLATFORM ??= 'surfaceless';
const root = fileURLToPath(new URL('../../../', import.meta.url));
const turbo = `${root}node_modules/.bin/turbo`;
if (existsSync(turbo)) {
  const build = spawnSync(turbo, ['run', 'build', '--filter=@tessera/cli...', '--output-logs=errors-only'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    process.stderr.write(`${build.stdout}${build.stderr}`);
    console.error('tessera: building the CLI failed (output above)');
    process.exit(build.status ?? 1);
  }
}
await import('../dist/main.js');
