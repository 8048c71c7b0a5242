// GPU compute dispatches of one step of the demo's training loop (apps/demo): the same model, batch,
// optimizer and clipping, through the same `trainSteps`. Fusion's aim is stated in this count.
import { AdamW, ByteLoader, CausalLM, trainSteps } from '@tessera/nn';
import * as T from '@tessera/tensor';

/**
 * Dispatches one demo training step issues on `backend` (a GPU backend: its `ctx.dispatches`
 * counts them), counted on the step after a first one, whose optimizer state is being created.
 * @param {{ ctx: { dispatches: number } } & import('@tessera/tensor').Backend} backend
 * @param {{ config: object, batch: number, seq: number }} shape the demo's model config and batch
 * @returns {Promise<{ name: string, value: number }>}
 */
export async function demoStepDispatches(backend, { config, batch, seq }) {
  const model = new CausalLM(config, { backend, generator: new T.Generator(0) });
  // As the demo: AdamW at weight decay 0.01, global-norm clipping at 1.
  const optimizer = new AdamW(model.parameters(), { lr: 3e-3, weightDecay: 0.01 });
  const bytes = Uint8Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919) % 251);
  const loader = new ByteLoader(bytes, batch, seq, { seed: 0, backend });
  const options = { steps: 1, clip: 1 };
  await trainSteps(model, optimizer, loader, options);
  const before = backend.ctx.dispatches;
  await trainSteps(model, optimizer, loader, options);
  const value = backend.ctx.dispatches - before;
  optimizer.dispose();
  model.dispose();
  return {
    name: `demo train step LM dim ${config.dim} x${config.layers} layers, batch ${batch}x${seq}`,
    value,
  };
}
