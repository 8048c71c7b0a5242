// The small MoE byte language model this package ships (weights/moe-tiny.safetensors, trained by
// scripts/train-tiny.mjs on Moby-Dick; its config is in the file's metadata).
import { readSafetensors, readSafetensorsMetadata } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { readLocalFile } from '#local-file';
import { MoEError } from './errors.js';
import { MoECausalLM, type MoECausalLMConfig } from './lm.js';

const CONFIG_KEY = 'tessera_moe_config';
const WHAT = 'tinyMoEModel';

/**
 * The shipped MoE byte language model: ids are the bytes of UTF-8 text (vocabulary 256), 2 layers,
 * each with 4 experts and Mixtral's top-2 router. In Node it is read from the installed package. In
 * a browser it is fetched: from `url` when given (serve the package's `weights/moe-tiny.safetensors`
 * and pass where it is), otherwise from beside the bundled module (bundlers that rewrite
 * `new URL(…, import.meta.url)`, as Vite does, copy it there). A failed fetch is a MoEError naming
 * the URL and the HTTP status.
 */
export async function tinyMoEModel(
  options: { backend?: T.Backend; url?: string } = {},
): Promise<MoECausalLM> {
  const href = options.url ?? new URL('../weights/moe-tiny.safetensors', import.meta.url).href;
  const bytes = await weightBytes(href);
  const meta = readSafetensorsMetadata(bytes)[CONFIG_KEY];
  if (!meta) throw new MoEError(`${WHAT}: ${href} must hold '${CONFIG_KEY}' metadata, got none`);
  const model = new MoECausalLM(JSON.parse(meta) as MoECausalLMConfig, {
    backend: options.backend ?? T.getBackend(),
  });
  const tensors = readSafetensors(bytes, { backend: model.parameters()[0].backend });
  try {
    model.loadStateDict(tensors);
    return model;
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const t of Object.values(tensors)) t.dispose();
  }
}

async function weightBytes(href: string): Promise<Uint8Array> {
  if (href.startsWith('file:')) {
    if (!readLocalFile)
      throw new MoEError(
        `${WHAT}: cannot read ${href} outside Node; pass options.url, an http(s) URL of weights/moe-tiny.safetensors`,
      );
    return readLocalFile(new URL(href));
  }
  let response: Response;
  try {
    response = await fetch(href);
  } catch (e) {
    throw new MoEError(`${WHAT}: fetching ${href} failed: ${(e as Error).message}`);
  }
  if (!response.ok)
    throw new MoEError(
      `${WHAT}: fetching ${href} gave HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}, expected 200 and the weights`,
    );
  return new Uint8Array(await response.arrayBuffer());
}
