import { describe, expect, it } from 'vitest';
import { BufferPool, sizeClass } from '../src/index.js';

describe('sizeClass', () => {
  it('rounds small sizes to powers of two (at least 256 B) and large ones to whole MiB', () => {
    expect(sizeClass(1)).toBe(256);
    expect(sizeClass(257)).toBe(512);
    expect(sizeClass(4096)).toBe(4096);
    expect(sizeClass((1 << 24) + 1)).toBe((1 << 24) + (1 << 20));
    for (let b = 1; b < 1 << 22; b = Math.ceil(b * 1.7)) expect(sizeClass(b)).toBeGreaterThanOrEqual(b);
  });
});

describe('BufferPool', () => {
  const fake = (size: number) => {
    const b = {
      size,
      destroyed: false,
      destroy: () => {
        b.destroyed = true;
      },
    };
    return b as unknown as GPUBuffer;
  };
  it('hands back a freed buffer of the same class, and only that class', () => {
    const pool = new BufferPool(1 << 20);
    const a = fake(512);
    expect(pool.give(a)).toBeUndefined();
    expect(pool.take(256)).toBeUndefined();
    expect(pool.take(512)).toBe(a);
    expect(pool.take(512)).toBeUndefined();
  });
  it('returns buffers it has no room for, for the caller to destroy', () => {
    const pool = new BufferPool(1024);
    const a = fake(1024);
    const b = fake(512);
    expect(pool.give(a)).toBeUndefined();
    expect(pool.give(b)).toBe(b);
    expect(pool.size).toBe(1);
    pool.clear();
    expect(pool.size).toBe(0);
    expect((a as unknown as { destroyed: boolean }).destroyed).toBe(true);
  });
});
