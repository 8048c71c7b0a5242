import { GpuUnavailableError } from './errors.js';
import { hasVulkanDriver, linuxVulkanProbe } from './vulkan.js';

/** How to find a WebGPU adapter. */
export interface AdapterOptions {
  /** Passed to `requestAdapter`. */
  powerPreference?: GPUPowerPreference;
  /**
   * Dawn backends to try in Node, in order. Each entry is a list of Dawn toggles for `create()`.
   * Default: the platform's native backend (Vulkan/Metal/D3D12), then OpenGL ES in compatibility
   * mode (Mesa llvmpipe on machines without a GPU); on Linux, Vulkan only when a Vulkan driver
   * manifest exists. `TESSERA_DAWN_BACKEND=opengles|vulkan|…` forces one.
   */
  dawnBackends?: string[][];
}

/** The adapter that was found, with where it came from. */
export interface FoundAdapter {
  adapter: GPUAdapter;
  /** `navigator.gpu` or `dawn:<toggles>`. */
  source: string;
  /** `core` or `compatibility`. */
  featureLevel: 'core' | 'compatibility';
}

type DawnModule = { create(flags: string[]): GPU; globals: Record<string, unknown> };

let dawn: Promise<DawnModule | undefined> | undefined;
// Dawn instances must outlive their adapters and devices: a collected instance kills its devices.
const keepAlive: GPU[] = [];

function loadDawn(): Promise<DawnModule | undefined> {
  dawn ??= (async () => {
    try {
      const specifier = 'webgpu';
      const mod = (await import(/* @vite-ignore */ specifier)) as DawnModule;
      // Dawn's classes (GPUBufferUsage, GPUShaderStage, …) are what browser code expects as globals.
      for (const [k, v] of Object.entries(mod.globals)) {
        if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
      }
      return mod;
    } catch {
      return undefined;
    }
  })();
  return dawn;
}

/**
 * Dawn's backends to try when none is forced: the native one, then OpenGL ES. On Linux the native one
 * is Vulkan, skipped (with the reason kept for the error) when no Vulkan driver is installed.
 */
function defaultDawnBackends(reasons: string[]): string[][] {
  const probe = linuxVulkanProbe();
  if (probe && !hasVulkanDriver(probe)) {
    reasons.push('Dawn [default] (Vulkan) skipped: no Vulkan driver manifest (vulkan/icd.d/*.json)');
    return [['backend=opengles']];
  }
  return [[], ['backend=opengles']];
}

function envBackend(): string | undefined {
  return typeof process !== 'undefined' ? process.env?.TESSERA_DAWN_BACKEND : undefined;
}

/**
 * Finds a WebGPU adapter: `navigator.gpu` in browsers and Deno, Dawn (the optional `webgpu`
 * package) in Node. Throws {@link GpuUnavailableError} with every reason when none is found.
 */
export async function findAdapter(options: AdapterOptions = {}): Promise<FoundAdapter> {
  const reasons: string[] = [];
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) {
    const adapter = await nav.gpu.requestAdapter({ powerPreference: options.powerPreference });
    if (adapter) return { adapter, source: 'navigator.gpu', featureLevel: 'core' };
    reasons.push('navigator.gpu.requestAdapter() returned null');
  }
  const mod = await loadDawn();
  if (!mod) {
    reasons.push("no navigator.gpu and the optional 'webgpu' package (Dawn for Node) is not installed");
    throw new GpuUnavailableError(`No WebGPU adapter: ${reasons.join('; ')}`);
  }
  const forced = envBackend();
  const backends = options.dawnBackends ?? (forced ? [[`backend=${forced}`]] : defaultDawnBackends(reasons));
  for (const flags of backends) {
    const label = `Dawn [${flags.join(',') || 'default'}]`;
    try {
      const gpu = mod.create(flags);
      keepAlive.push(gpu);
      // OpenGL ES only offers WebGPU's compatibility feature level.
      const featureLevel = flags.some((f) => f.includes('opengl')) ? 'compatibility' : 'core';
      const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference, featureLevel });
      if (adapter) return { adapter, source: `dawn:${flags.join(',') || 'default'}`, featureLevel };
      reasons.push(`${label} found no adapter`);
    } catch (e) {
      reasons.push(`${label} failed: ${(e as Error).message}`);
    }
  }
  const hint =
    'on Linux without a GPU, install libegl1 libegl-mesa0 libegl-dev libgl1-mesa-dri and set EGL_PLATFORM=surfaceless';
  throw new GpuUnavailableError(`No WebGPU adapter: ${reasons.join('; ')} (${hint})`);
}

/** A one-line description of an adapter, e.g. `llvmpipe (Mesa) via dawn:backend=opengles [compatibility]`. */
export function describeAdapter(found: FoundAdapter): string {
  const info = found.adapter.info;
  const parts = [info.description, info.vendor, info.architecture, info.device].filter((s) => !!s);
  return `${parts.join(' / ') || 'unknown adapter'} via ${found.source} [${found.featureLevel}]`;
}
