// Turns every `<group>/<name>.wgsl` into `export const <group>_<name>: string` in dist/index.js.
// `{{NAME}}` placeholders are filled at pipeline creation by the package that owns the kernel; a line
// `// #include <group>/<name>.wgsl` is replaced here by that file (helpers shared across groups).
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('.', import.meta.url).pathname;
const groups = readdirSync(root).filter(
  (d) => !d.startsWith('.') && !['dist', 'node_modules'].includes(d) && statSync(join(root, d)).isDirectory(),
);
const INCLUDE = /^\/\/ #include (\S+\.wgsl)$/gm;
/** A WGSL file with its `// #include` lines replaced by the files they name (recursively). */
const withIncludes = (path, seen = []) => {
  if (seen.includes(path)) throw new Error(`kernels: ${[...seen, path].join(' -> ')} includes itself`);
  return readFileSync(join(root, path), 'utf8').replace(INCLUDE, (_, inc) =>
    withIncludes(inc, [...seen, path]),
  );
};
const js = [];
const dts = [];
for (const group of groups.sort()) {
  for (const file of readdirSync(join(root, group))
    .filter((f) => f.endsWith('.wgsl'))
    .sort()) {
    const name = `${group}_${file.slice(0, -5).replace(/[^A-Za-z0-9]/g, '_')}`;
    const src = withIncludes(join(group, file));
    js.push(`export const ${name} = ${JSON.stringify(src)};`);
    dts.push(`/** WGSL source of \`${group}/${file}\`. */\nexport declare const ${name}: string;`);
  }
}
if (process.argv.includes('--check')) {
  console.log(`${js.length} kernels`);
} else {
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, 'dist/index.js'), `${js.join('\n')}\n`);
  writeFileSync(join(root, 'dist/index.d.ts'), `${dts.join('\n')}\n`);
  console.log(`kernels: ${js.length} WGSL programs`);
}
