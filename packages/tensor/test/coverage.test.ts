// Every op has a kernel on every backend and a backward rule (or a stated reason it has none).
import { describe, expect, it } from 'vitest';
import { cpuBackend, RULES } from '../src/index.js';
import { gpuBackend } from './helpers.js';

const gpu = await gpuBackend();
const ops = Object.keys(RULES) as (keyof typeof RULES)[];

describe('op coverage', () => {
  it('lists the ops the design asks for', () => {
    for (const op of [
      'add',
      'matmul',
      'sum',
      'softmax',
      'layer_norm',
      'rms_norm',
      'gather',
      'argsort',
      'cumsum',
      'concat',
      'pad',
    ]) {
      expect(ops).toContain(op);
    }
  });
  it.each(ops)('%s has a backward rule or a reason', (op) => {
    const grad = RULES[op].grad;
    if (typeof grad === 'function') return;
    expect(grad.nondifferentiable.length).toBeGreaterThan(10);
  });
  it.each(ops)('%s runs on cpu and webgpu (or is a view)', (op) => {
    if ('view' in RULES[op]) return;
    expect(typeof (cpuBackend.kernels as Record<string, unknown>)[op]).toBe('function');
    if (process.env.TESSERA_REQUIRE_WEBGPU === '1') expect(gpu).toBeDefined();
    if (gpu) expect(typeof (gpu.kernels as Record<string, unknown>)[op]).toBe('function');
  });
});
