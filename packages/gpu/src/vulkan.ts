// Whether Dawn's Vulkan backend is worth probing on Linux. Probing it where the Vulkan loader finds no
// driver only prints "Couldn't load Vulkan" (or an empty adapter list) on stderr from native code, on
// every run; the adapter then comes from OpenGL ES anyway.

/** What the Vulkan driver search reads: environment variables and directory listings. */
export interface VulkanProbe {
  env: Record<string, string | undefined>;
  /** The file names in a directory; empty when it does not exist. */
  list(dir: string): string[];
}

/**
 * The directories the Vulkan loader searches for driver (ICD) manifests on Linux, in its order:
 * XDG config dirs, /etc, then XDG data dirs (Vulkan-Loader's docs/LoaderDriverInterface.md).
 */
export function vulkanDriverDirs(env: Record<string, string | undefined>): string[] {
  const home = env.HOME ?? '';
  const split = (value: string | undefined, fallback: string) =>
    (value || fallback).split(':').filter((d) => d !== '');
  const roots = [
    env.XDG_CONFIG_HOME || `${home}/.config`,
    ...split(env.XDG_CONFIG_DIRS, '/etc/xdg'),
    '/etc',
    '/usr/local/etc',
    env.XDG_DATA_HOME || `${home}/.local/share`,
    ...split(env.XDG_DATA_DIRS, '/usr/local/share:/usr/share'),
  ];
  return roots.map((root) => `${root}/vulkan/icd.d`);
}

/**
 * Whether the Vulkan loader could find a driver: a manifest named by `VK_DRIVER_FILES`,
 * `VK_ICD_FILENAMES` or `VK_ADD_DRIVER_FILES`, or a `*.json` in one of {@link vulkanDriverDirs}.
 */
export function hasVulkanDriver(probe: VulkanProbe): boolean {
  const { env } = probe;
  if (env.VK_DRIVER_FILES || env.VK_ICD_FILENAMES || env.VK_ADD_DRIVER_FILES) return true;
  return vulkanDriverDirs(env).some((dir) => probe.list(dir).some((name) => name.endsWith('.json')));
}

type Fs = { readdirSync(dir: string): string[] };

/**
 * This process's {@link VulkanProbe} on Linux; `undefined` elsewhere and where Node cannot lend its
 * `fs` synchronously (`process.getBuiltinModule` is Node ≥ 20.16), in which case Vulkan is probed.
 * No import of `node:fs`: the package is also bundled for browsers.
 */
export function linuxVulkanProbe(): VulkanProbe | undefined {
  const proc = (globalThis as { process?: NodeJS.Process }).process;
  if (proc?.platform !== 'linux' || typeof proc.getBuiltinModule !== 'function') return undefined;
  const fs = proc.getBuiltinModule('node:fs') as Fs | undefined;
  if (!fs) return undefined;
  return {
    env: proc.env,
    list(dir) {
      try {
        return fs.readdirSync(dir);
      } catch {
        return [];
      }
    },
  };
}
