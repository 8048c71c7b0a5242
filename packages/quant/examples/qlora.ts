// QLoRA in a few lines (README; test/examples.test.ts runs it): quantize a model's linear layers to
// NF4 with double quantization, add LoRA adapters, train them with paged AdamW, save them as PEFT does.
import { ByteLoader, CausalLM, PagedAdamW, trainSteps } from '@tessera/nn';
import type * as T from '@tessera/tensor';
import { applyLora, loraParameters, quantizeModel, saveAdapter } from '../src/index.js';

/** Returns the losses, the adapter files and the backend bytes of the quantized layers. */
export async function qlora(backend: T.Backend, text: Uint8Array) {
  const model = new CausalLM({ vocabSize: 256, dim: 32, layers: 2, heads: 4, maxSeq: 33 }, { backend });
  const { bytesBefore, bytesAfter } = await quantizeModel(model, {
    type: 'nf4',
    blockSize: 64,
    doubleQuant: true,
  });
  applyLora(model, { r: 8, alpha: 16 }); // every linear layer but lm_head; the rest is frozen
  const optimizer = new PagedAdamW(loraParameters(model), { lr: 1e-2, pageThreshold: 256 });
  const loader = new ByteLoader(text, 4, 32, { backend });
  const losses = await trainSteps(model, optimizer, loader, { steps: 10, clip: 0.3 });
  const adapter = await saveAdapter(model); // adapter_model.safetensors + adapter_config.json
  optimizer.dispose();
  model.dispose();
  return { losses, adapter, bytesBefore, bytesAfter };
}
