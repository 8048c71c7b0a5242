import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './markdown.js';

/** A workspace package: its directory (relative to the root) and package.json. */
export interface WorkspacePackage {
  dir: string;
  json: {
    name: string;
    version: string;
    private?: boolean;
    license?: string;
    exports?: unknown;
    main?: string;
    types?: string;
    [field: string]: unknown;
  };
}

/** Every package of the workspace (packages/*, kernels, apps/*, tools/*, docs). */
export function workspacePackages(): WorkspacePackage[] {
  const dirs = ['kernels', 'docs'];
  for (const group of ['packages', 'apps', 'tools']) {
    for (const name of readdirSync(join(repoRoot, group)).sort()) dirs.push(`${group}/${name}`);
  }
  return dirs
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')))
    .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) }));
}

/** The packages a release publishes: those not marked private. */
export const publishablePackages = (): WorkspacePackage[] =>
  workspacePackages().filter((p) => !p.json.private);

/** Runs a command, throwing with its output when it fails. */
export function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutSeconds = 300,
): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutSeconds * 1000 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed with ${result.status ?? result.signal}:\n${result.stderr}\n${result.stdout}`,
    );
  }
  return result;
}

/**
 * Runs pnpm: the one running this script when there is one (`pnpm test` sets npm_execpath to it),
 * otherwise pnpm 10 through npx, as the README's commands do.
 */
export function pnpm(args: string[], cwd: string): SpawnSyncReturns<string> {
  const current = process.env.npm_execpath;
  if (current && /pnpm\.c?js$/.test(current)) return run(process.execPath, [current, ...args], cwd);
  return run('npx', ['-y', 'pnpm@10', ...args], cwd);
}

/** The paths of a tarball's entries (`package/…`). */
export const tarEntries = (tarball: string): string[] =>
  run('tar', ['-tzf', tarball], repoRoot)
    .stdout.split('\n')
    .filter((line) => line !== '');

/** One file of a tarball, as text. */
export const tarFile = (tarball: string, path: string): string =>
  run('tar', ['-xzOf', tarball, path], repoRoot).stdout;

/** Every relative path named by a package.json's `exports`, `main` and `types`. */
export function exportedPaths(json: WorkspacePackage['json']): string[] {
  const paths = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.startsWith('./')) paths.add(value.slice(2));
    } else if (value && typeof value === 'object') {
      for (const v of Object.values(value)) visit(v);
    }
  };
  visit(json.exports);
  visit(json.main);
  visit(json.types);
  return [...paths].sort();
}
