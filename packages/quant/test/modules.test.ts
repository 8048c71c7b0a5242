// Linear4bit, quantizeModel, LoRA (PEFT names, init, merge/unmerge, save/load) and QLoRA gradients.
import { CausalLM, Linear } from '@tessera/nn';
import * as T from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends, expectClose } from '../../nn/test/helpers.js';
import {
  applyLora,
  Linear4bit,
  type LoraLinear,
  loadAdapter,
  loadQuantizedModel,
  loraLayers,
  loraParameters,
  mergeAdapters,
  QuantError,
  quantizeModel,
  readBnbCheckpoint,
  saveAdapter,
  saveQuantizedModel,
  unmergeAdapters,
} from '../src/index.js';

const list = await backends();
const config = { vocabSize: 20, dim: 32, layers: 2, heads: 4, maxSeq: 16 };
const lm = (backend: T.Backend, seed = 1) =>
  new CausalLM(config, { backend, generator: new T.Generator(seed) });
const ids = (backend: T.Backend) => T.tensor([[1, 5, 3, 19, 0, 7, 7, 2]], { backend, dtype: 'i32' });

async function logits(model: CausalLM, backend: T.Backend): Promise<Float32Array> {
  return T.tidy(() => T.noGrad(() => model.forward(ids(backend)))).data() as Promise<Float32Array>;
}

describe.each(list)('modules on %s', (_name, backend) => {
  it('Linear4bit is a drop-in for Linear (output = x·dequant(W)ᵀ + b)', async () => {
    const lin = new Linear(40, 24, { backend, generator: new T.Generator(2) });
    const q = await Linear4bit.fromLinear(lin, { type: 'nf4', blockSize: 32 });
    const x = T.randn([3, 40], { backend, generator: new T.Generator(3) });
    const want = T.tidy(() => T.linear(x, q.weight.dequantize(), lin.bias));
    expectClose((await q.forward(x).data()) as Float32Array, (await want.data()) as Float32Array, 1e-5, 1e-5);
    expect([q.inFeatures, q.outFeatures]).toEqual([40, 24]);
    expect(q.parameters().every((p) => !p.requiresGrad)).toBe(true);
    lin.dispose();
    q.dispose();
    x.dispose();
    want.dispose();
  });

  it('quantizeModel swaps every linear but the head, shrinking weights ~7×', async () => {
    const model = lm(backend);
    const before = await logits(model, backend);
    const report = await quantizeModel(model, { type: 'nf4', blockSize: 64, doubleQuant: true });
    expect(report.quantized).toHaveLength(2 * 7);
    expect(report.quantized).not.toContain('lm_head');
    expect(model.getModule('model.layers.1.mlp.down_proj')).toBeInstanceOf(Linear4bit);
    expect(model.lm_head).toBeInstanceOf(Linear);
    expect(report.bytesBefore / report.bytesAfter).toBeGreaterThan(6.5);
    const after = await logits(model, backend);
    // NF4 noise moves logits a little, never wildly.
    let diff = 0;
    for (let i = 0; i < after.length; i++) diff = Math.max(diff, Math.abs(after[i] - before[i]));
    expect(diff).toBeGreaterThan(0);
    expect(diff).toBeLessThan(0.5);
    model.dispose();
  });

  it('LoRA: PEFT init and names, identity at init, gradients only into A and B (through a 4-bit base)', async () => {
    const model = lm(backend);
    await quantizeModel(model);
    const before = await logits(model, backend);
    const paths = applyLora(model, { r: 4, alpha: 8, seed: 3 });
    expect(paths).toHaveLength(14);
    const names = Object.keys(model.stateDict());
    expect(names).toContain('model.layers.0.self_attn.q_proj.lora_A.weight');
    expect(names).toContain('model.layers.0.self_attn.q_proj.lora_B.weight');
    const l = model.getModule('model.layers.0.self_attn.q_proj') as LoraLinear;
    expect(l.scaling).toBe(2);
    expect(await T.max(T.abs(l.lora_B.weight)).item()).toBe(0);
    expect(await T.max(T.abs(l.lora_A.weight)).item()).toBeLessThanOrEqual(1 / Math.sqrt(32));
    expectClose(await logits(model, backend), before, 0, 1e-6, 'B = 0: same output');
    const trainable = loraParameters(model);
    expect(trainable).toHaveLength(28);
    T.tidy(() => model.loss(ids(backend)).backward());
    for (const p of model.parameters()) expect(p.grad !== null).toBe(trainable.includes(p));
    // B = 0 gives A no gradient; B gets one through the frozen 4-bit base.
    expect(await T.max(T.abs(l.lora_B.weight.grad!)).item()).toBeGreaterThan(0);
    model.dispose();
  });

  it('merge/unmerge: exact on an f32 base; on a 4-bit base the requantization error is reported', async () => {
    for (const quantized of [false, true]) {
      const model = lm(backend, 4);
      if (quantized) await quantizeModel(model);
      applyLora(model, { r: 2, alpha: 4, targetModules: ['v_proj', 'up_proj'] });
      for (const p of loraParameters(model))
        T.noGrad(() => p.assign(T.mul(T.randn([...p.shape], { backend }), 0.1)));
      const adapted = await logits(model, backend);
      const reports = await mergeAdapters(model);
      expect(Object.keys(reports)).toHaveLength(4);
      const merged = await logits(model, backend);
      if (quantized) {
        for (const r of Object.values(reports)) {
          expect(r!.relativeMse).toBeGreaterThan(1e-4);
          expect(r!.relativeMse).toBeLessThan(0.02); // NF4's error on near-uniform weights
        }
        expectClose(merged, adapted, 0, 0.5, 'merged ≈ adapted');
      } else {
        expect(Object.values(reports).every((r) => r === null)).toBe(true);
        expectClose(merged, adapted, 1e-4, 1e-5, 'merged = adapted');
      }
      await unmergeAdapters(model);
      expectClose(
        await logits(model, backend),
        adapted,
        quantized ? 0 : 1e-4,
        quantized ? 0.5 : 1e-5,
        'unmerged',
      );
      await expect(unmergeAdapters(model)).rejects.toThrow(/not merged/);
      model.dispose();
    }
  });

  it('saves and loads adapters as PEFT does; bad adapters are refused and change nothing', async () => {
    const a = lm(backend, 5);
    applyLora(a, { r: 4, alpha: 16, rsLora: true, targetModules: ['q_proj', 'o_proj'] });
    for (const p of loraParameters(a))
      T.noGrad(() => p.assign(T.mul(T.randn([...p.shape], { backend }), 0.1)));
    const saved = await saveAdapter(a, { baseModel: 'tessera/tiny' });
    const peft = JSON.parse(saved.config);
    expect(peft).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 16,
      use_rslora: true,
      target_modules: ['o_proj', 'q_proj'],
      base_model_name_or_path: 'tessera/tiny',
      task_type: 'CAUSAL_LM',
    });
    const { readSafetensors } = await import('@tessera/nn');
    const keys = Object.keys(readSafetensors(saved.weights));
    expect(keys).toContain('base_model.model.model.layers.1.self_attn.o_proj.lora_B.weight');
    expect(keys).toHaveLength(8);
    const b = lm(backend, 5);
    expect(loadAdapter(b, saved)).toHaveLength(4);
    expect((b.getModule('model.layers.0.self_attn.q_proj') as LoraLinear).scaling).toBe(8);
    expectClose(await logits(b, backend), await logits(a, backend), 1e-5, 1e-6, 'loaded = saved');

    // An adapter for a wider model: nothing changes, the error names key and shapes.
    const wide = new CausalLM({ ...config, dim: 48, heads: 4 }, { backend });
    applyLora(wide, { r: 4, targetModules: ['q_proj'] });
    const wrong = await saveAdapter(wide);
    const c = lm(backend, 6);
    const stateBefore = Object.keys(c.stateDict());
    expect(() => loadAdapter(c, wrong)).toThrow(
      /'base_model\.model\.model\.layers\.0\.self_attn\.q_proj\.lora_A\.weight' has shape \[4, 48\], the model needs \[4, 32\]/,
    );
    expect(Object.keys(c.stateDict())).toEqual(stateBefore);
    expect(loraLayers(c)).toHaveLength(0);
    expect(() =>
      loadAdapter(c, { ...saved, config: '{"peft_type":"LORA","use_dora":true,"target_modules":[]}' }),
    ).toThrow(/use_dora = true is not supported/);
    expect(() => loadAdapter(c, { ...saved, config: 'not json' })).toThrow(QuantError);
    expect(() => applyLora(c, { targetModules: ['nothing'] })).toThrow(/no linear layer matches/);
    for (const m of [a, b, wide, c]) m.dispose();
  });

  it('saves and loads a 4-bit model in the transformers/bitsandbytes layout', async () => {
    const a = lm(backend, 8);
    await quantizeModel(a, { type: 'fp4', blockSize: 32, doubleQuant: true });
    const bytes = await saveQuantizedModel(a);
    const ck = await readBnbCheckpoint(bytes);
    expect(Object.keys(ck.quantized)).toHaveLength(14);
    expect(ck.quantized['model.layers.0.mlp.gate_proj.weight'].type).toBe('fp4');
    expect(Object.keys(ck.other)).toContain('lm_head.weight');
    for (const t of Object.values(ck.other)) t.dispose();
    const b = lm(backend, 9);
    expect(await loadQuantizedModel(b, bytes)).toHaveLength(14);
    expect(b.getModule('model.layers.1.self_attn.k_proj')).toBeInstanceOf(Linear4bit);
    expectClose(await logits(b, backend), await logits(a, backend), 0, 0, 'same logits');
    // A checkpoint of another width is refused before anything changes.
    const wide = new CausalLM({ ...config, dim: 48 }, { backend });
    await quantizeModel(wide);
    const c = lm(backend, 10);
    const names = Object.keys(c.stateDict());
    await expect(loadQuantizedModel(c, await saveQuantizedModel(wide))).rejects.toThrow(
      /has shape \[\d+, \d+\], the layer needs \[\d+, \d+\]/,
    );
    expect(Object.keys(c.stateDict())).toEqual(names);
    for (const m of [a, b, wide, c]) m.dispose();
  });
});
