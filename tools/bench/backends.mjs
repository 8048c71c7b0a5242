// Tessera's backends, found at run time from what the caller's `@tessera/tensor` exports, so the
// harness measures every backend a build has without naming them in each package's bench.

/** The backends tried, in order (the CPU ones first: the peers copy the CPU run's weights). */
export const TESSERA_BACKENDS = ['cpu', 'wasm', 'webgpu'];

/**
 * Tessera's backend `name`, or why this build or machine cannot make it. It comes from the export
 * `<name>Backend` (a backend, or a function returning one: the shared instance) or else
 * `create<Name>Backend()` (any capitalisation), and must report `name` as its name.
 * @param {typeof import('@tessera/tensor')} T
 * @param {string} name
 * @returns {Promise<object | string>} the backend, or the reason it was skipped
 */
async function tesseraBackend(T, name) {
  const factoryKey = Object.keys(T).find((k) => k.toLowerCase() === `create${name}backend`);
  const source = T[`${name}Backend`] ?? (factoryKey && T[factoryKey]);
  if (source === undefined)
    return `@tessera/tensor exports neither ${name}Backend nor create${name[0].toUpperCase()}${name.slice(1)}Backend`;
  try {
    const backend = typeof source === 'function' ? await source() : source;
    if (backend?.name !== name) return `${name}Backend gave a backend named '${backend?.name}'`;
    return backend;
  } catch (e) {
    return String(e?.message ?? e);
  }
}

/**
 * Every Tessera backend this build and machine can make, in {@link TESSERA_BACKENDS} order, each
 * printed with its description; those that cannot be made are printed with the reason and left out.
 * @param {typeof import('@tessera/tensor')} T
 * @returns {Promise<{ name: string, impl: string, backend: object }[]>}
 */
export async function tesseraBackends(T) {
  const found = [];
  for (const name of TESSERA_BACKENDS) {
    const backend = await tesseraBackend(T, name);
    const impl = `tessera-${name}`;
    if (typeof backend === 'string') console.log(`${impl}: skipped (${backend})`);
    else {
      console.log(`${impl}: ${backend.description}`);
      found.push({ name, impl, backend });
    }
  }
  return found;
}
