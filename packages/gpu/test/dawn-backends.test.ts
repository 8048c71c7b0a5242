import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hasVulkanDriver, linuxVulkanProbe, type VulkanProbe, vulkanDriverDirs } from '../src/vulkan.js';

/** A probe over a fake file system: directory → file names. */
function probe(env: Record<string, string>, files: Record<string, string[]> = {}): VulkanProbe {
  return { env, list: (dir) => files[dir] ?? [] };
}

describe('the Vulkan driver search', () => {
  it("searches the loader's directories, honouring the XDG variables", () => {
    expect(vulkanDriverDirs({ HOME: '/home/u' })).toEqual([
      '/home/u/.config/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/usr/local/etc/vulkan/icd.d',
      '/home/u/.local/share/vulkan/icd.d',
      '/usr/local/share/vulkan/icd.d',
      '/usr/share/vulkan/icd.d',
    ]);
    const dirs = vulkanDriverDirs({ HOME: '/h', XDG_DATA_DIRS: '/opt/a:/opt/b', XDG_CONFIG_HOME: '/c' });
    expect(dirs).toContain('/opt/a/vulkan/icd.d');
    expect(dirs).toContain('/opt/b/vulkan/icd.d');
    expect(dirs).toContain('/c/vulkan/icd.d');
    expect(dirs).not.toContain('/usr/share/vulkan/icd.d');
  });

  it('finds a driver only from a .json manifest or the variables that name one', () => {
    expect(hasVulkanDriver(probe({ HOME: '/h' }))).toBe(false);
    expect(hasVulkanDriver(probe({ HOME: '/h' }, { '/usr/share/vulkan/icd.d': ['README'] }))).toBe(false);
    expect(
      hasVulkanDriver(probe({ HOME: '/h' }, { '/usr/share/vulkan/icd.d': ['lvp_icd.x86_64.json'] })),
    ).toBe(true);
    expect(hasVulkanDriver(probe({ HOME: '/h' }, { '/h/.local/share/vulkan/icd.d': ['nv.json'] }))).toBe(
      true,
    );
    for (const name of ['VK_DRIVER_FILES', 'VK_ICD_FILENAMES', 'VK_ADD_DRIVER_FILES']) {
      expect(hasVulkanDriver(probe({ HOME: '/h', [name]: '/x/icd.json' }))).toBe(true);
    }
  });
});

// The whole adapter search in a fresh process, whose stderr Dawn writes to from native code.
const probeHere = linuxVulkanProbe();
const noVulkanHere = probeHere !== undefined && !hasVulkanDriver(probeHere);
const required = process.env.TESSERA_REQUIRE_WEBGPU === '1';

describe.skipIf(!noVulkanHere)('on Linux without a Vulkan driver', () => {
  it('finds the adapter without probing Vulkan (no "Couldn\'t load Vulkan" on stderr)', () => {
    const script =
      "const { findAdapter } = await import('@tessera/gpu');" +
      "const found = await findAdapter().catch((e) => ({ source: 'none: ' + e.message }));" +
      'console.log(found.source);';
    const env = { ...process.env, TESSERA_DAWN_BACKEND: '' };
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env });
    expect(run.status, run.stderr).toBe(0);
    const source = run.stdout.trim();
    if (source.startsWith('none:')) {
      // No adapter at all (no Dawn or no EGL here): the reasons must still say why Vulkan was skipped.
      expect(required, source).toBe(false);
      expect(source).toContain('(Vulkan) skipped: no Vulkan driver manifest');
    } else {
      expect(source).toBe('dawn:backend=opengles');
    }
    expect(run.stderr).not.toMatch(/Vulkan/);
  });
});
