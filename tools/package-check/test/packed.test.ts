// What a user of a release gets: every publishable package is packed as `pnpm publish` would pack
// it, the tarballs are installed with npm into a fresh project, which then type-checks strictly,
// runs each README's first example, and bundles each package for browsers.
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runnableBlocks } from '../src/markdown.js';
import { failure, runSnippet } from '../src/snippet.js';
import { needsWebgpu, webgpuBlocksRun } from '../src/webgpu.js';
import {
  exportedPaths,
  pnpm,
  publishablePackages,
  run,
  tarEntries,
  tarFile,
  workspacePackages,
} from '../src/workspace.js';

const packages = publishablePackages();
const work = mkdtempSync(join(tmpdir(), 'tessera-packed-'));
const tarballs = join(work, 'tarballs');
const project = join(work, 'project');
const tarballOf = new Map<string, string>();
const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
const webgpuRuns = await webgpuBlocksRun();

beforeAll(() => {
  mkdirSync(tarballs);
  pnpm(
    ['-r', ...packages.flatMap((p) => ['--filter', p.json.name]), 'pack', '--pack-destination', tarballs],
    repoRoot,
  );
  for (const p of packages) {
    const file = `${p.json.name.replace('@', '').replace('/', '-')}-${p.json.version}.tgz`;
    tarballOf.set(p.json.name, join(tarballs, file));
  }
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'fresh', private: true, type: 'module' }),
  );
  // Third-party dependencies come from npm's cache or the registry. The optional `webgpu` (Dawn,
  // 130 MB of native builds) is linked from the workspace instead of downloaded a second time.
  run(
    'npm',
    [
      'install',
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
      '--omit=optional',
      '--loglevel=error',
      ...tarballOf.values(),
    ],
    project,
  );
  const gpuRequire = createRequire(join(repoRoot, 'packages/gpu/package.json'));
  const dawn = (() => {
    try {
      return dirname(realpathSync(gpuRequire.resolve('webgpu/package.json')));
    } catch {
      return undefined;
    }
  })();
  if (dawn) symlinkSync(dawn, join(project, 'node_modules', 'webgpu'), 'dir');
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the release', () => {
  it('publishes the libraries and nothing else (apps, tools and docs are private)', () => {
    expect(packages.map((p) => p.dir).sort()).toEqual([
      'kernels',
      'packages/gpu',
      'packages/moe',
      'packages/nn',
      'packages/patching',
      'packages/pipeline',
      'packages/quant',
      'packages/tensor',
    ]);
    const published = new Set(packages.map((p) => p.dir));
    for (const p of workspacePackages()) {
      if (!published.has(p.dir)) expect(p.json.private, p.dir).toBe(true);
    }
  });
});

describe.each(packages.map((p) => [p.json.name, p] as const))('%s', (name, pkg) => {
  const tarball = () => tarballOf.get(name)!;

  it('packs its LICENSE (MIT), README and every file its exports name, with no workspace: ranges', () => {
    const entries = tarEntries(tarball());
    expect(pkg.json.license).toBe('MIT');
    expect(tarFile(tarball(), 'package/LICENSE')).toBe(license);
    expect(entries).toContain('package/README.md');
    for (const path of exportedPaths(pkg.json)) expect(entries, path).toContain(`package/${path}`);
    const packed = JSON.parse(tarFile(tarball(), 'package/package.json'));
    for (const field of ['dependencies', 'optionalDependencies', 'peerDependencies']) {
      for (const [dep, range] of Object.entries((packed[field] ?? {}) as Record<string, string>)) {
        expect(range, `${field}.${dep}`).not.toMatch(/^workspace:/);
      }
    }
  });

  const example = runnableBlocks(`${pkg.dir}/README.md`)[0];
  it.skipIf(!example || (needsWebgpu(example) && !webgpuRuns))(
    `runs its README's first example (${pkg.dir}/README.md:${example?.line}) from the installed tarball`,
    () => {
      const result = runSnippet(example, join(project, 'examples'), 120);
      expect(result.ok, failure(example, result)).toBe(true);
    },
  );

  it('bundles for browsers with esbuild, reaching no Node builtin', async () => {
    const result = await build({
      stdin: { contents: `export * from '${name}';`, resolveDir: project, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    }).catch((e: Error) => {
      throw new Error(`${name} does not bundle for browsers: ${e.message}`);
    });
    const external = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(external.filter((path) => isBuiltin(path))).toEqual([]);
    expect(result.outputFiles[0].text.length).toBeGreaterThan(0);
  });
});

describe('installed from the tarballs', () => {
  it('type-checks strictly (skipLibCheck: false) for browsers and for Node, README examples included', () => {
    const sources = join(project, 'typecheck');
    mkdirSync(sources, { recursive: true });
    const uses = packages.map(
      (p, i) => `import * as p${i} from '${p.json.name}';\nconsole.log(Object.keys(p${i}));`,
    );
    writeFileSync(join(sources, 'imports.ts'), `${uses.join('\n')}\n`);
    const examples: string[] = [];
    for (const p of packages) {
      const block = runnableBlocks(`${p.dir}/README.md`).find((b) => b.lang === 'ts');
      if (!block) continue;
      writeFileSync(
        join(sources, `${p.dir.replace('/', '-')}.ts`),
        `// ${block.file}:${block.line}\n${block.code}\n`,
      );
      examples.push(p.dir);
    }
    // The libraries' READMEs all have TypeScript examples (kernels' is JavaScript).
    expect(examples).toEqual(packages.map((p) => p.dir).filter((dir) => dir !== 'kernels'));
    const strict = { target: 'ES2022', module: 'NodeNext', strict: true, skipLibCheck: false, noEmit: true };
    const configs = {
      browser: { ...strict, lib: ['ES2022', 'DOM'], types: [] },
      node: {
        ...strict,
        lib: ['ES2022'],
        types: ['node'],
        typeRoots: [join(repoRoot, 'node_modules/@types')],
      },
    };
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    for (const [kind, compilerOptions] of Object.entries(configs)) {
      const config = join(project, `tsconfig.${kind}.json`);
      writeFileSync(config, JSON.stringify({ compilerOptions, include: ['typecheck/*.ts'] }));
      const result = runTsc(tsc, config);
      expect(result, `tsc for ${kind}`).toBe('');
    }
  });
});

/** tsc's diagnostics for a config ('' when there are none). */
function runTsc(tsc: string, config: string): string {
  try {
    run(process.execPath, [tsc, '-p', config], project);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
}
