// Parameter blocks: layout by WGSL's uniform rules, packing, errors, the WGSL on the real adapter,
// the compile-time check of pack's fields, and the options memo that selects specializations.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CANONICAL, canonicalKey, GpuContext, paramBlock, specialize } from '../src/index.js';

const required = process.env.TESSERA_REQUIRE_WEBGPU === '1';
const ctx = await GpuContext.create().catch((e: Error) => {
  if (required) throw e;
  return undefined;
});

const bits = (x: number) => new Uint32Array(new Float32Array([x]).buffer)[0];

/** Every kind of field, arrays of lengths that fill a vec4 partly, exactly, and not at all. */
const MIXED = {
  rows: 'u32',
  eps: 'f32',
  strides: ['u32', 3],
  shift: 'i32',
  weights: ['f32', 5],
  signs: ['i32', 4],
  empty: ['u32', 0],
  last: 'u32',
} as const;
const MIXED_VALUES = {
  rows: 4294967295,
  eps: 1e-5,
  strides: [12, 4, 1],
  shift: -2147483648,
  weights: [Number.NaN, Number.NEGATIVE_INFINITY, -0, 0.1, 3.5],
  signs: [-1, 0, 1, 2147483647],
  empty: [],
  last: 7,
};

describe('paramBlock layout', () => {
  it('places scalars on 4 bytes and arrays as vec4 arrays on 16-byte boundaries, in declaration order', () => {
    const block = paramBlock(MIXED);
    const at = Object.fromEntries(block.fields.map((f) => [f.name, f.offset]));
    // rows 0, eps 4, (pad to 16) strides 16..32, shift 32, (pad) weights 48..80, signs 80..96,
    // empty still one vec4 96..112, last 112; the struct rounds up to its 16-byte alignment.
    expect(at).toEqual({
      rows: 0,
      eps: 4,
      strides: 16,
      shift: 32,
      weights: 48,
      signs: 80,
      empty: 96,
      last: 112,
    });
    expect(block.byteSize).toBe(128);
    expect(block.fields.find((f) => f.name === 'weights')?.length).toBe(5);
    expect(block.fields.find((f) => f.name === 'rows')?.length).toBeUndefined();
  });

  it('packs scalars only to 4-byte alignment, and an empty block to one word', () => {
    expect(paramBlock({ a: 'u32', b: 'u32', c: 'f32' }).byteSize).toBe(12);
    const empty = paramBlock({});
    expect(empty.byteSize).toBe(4);
    expect(empty.wgsl(0)).toContain('unused: u32');
    expect([...empty.pack({})]).toEqual([0]);
  });

  it('renders the struct, the binding and one accessor per array field', () => {
    const wgsl = paramBlock({ n: 'u32', scale: 'f32', shape: ['u32', 6] }).wgsl(3);
    expect(wgsl).toBe(
      [
        'struct Params {',
        '  n: u32,',
        '  scale: f32,',
        '  shape: array<vec4<u32>, 2>,',
        '};',
        '@group(0) @binding(3) var<uniform> params: Params;',
        'fn params_shape(i: u32) -> u32 { return params.shape[i / 4u][i % 4u]; }',
      ].join('\n'),
    );
  });

  it('refuses names that are not WGSL identifiers, unknown types and bad lengths, naming the field', () => {
    expect(() => paramBlock({ '0a': 'u32' })).toThrow(/WGSL identifier.*'0a'/);
    expect(() => paramBlock({ _x: 'u32' })).toThrow(/'_x'/);
    expect(() => paramBlock({ x: 'f16' as 'f32' })).toThrow(
      /field 'x' must be 'u32', 'i32' or 'f32', got 'f16'/,
    );
    expect(() => paramBlock({ x: ['u32', -1] })).toThrow(
      /'x' needs a length that is an integer >= 0, got -1/,
    );
    expect(() => paramBlock({ x: ['u32', 2.5] })).toThrow(/got 2.5/);
  });
});

describe('paramBlock packing', () => {
  it('stores f32 as its bits, i32 as two’s complement, u32 as is, padding as 0', () => {
    const words = paramBlock(MIXED).pack(MIXED_VALUES);
    const expected = new Uint32Array(32);
    expected[0] = 4294967295;
    expected[1] = bits(1e-5);
    expected.set([12, 4, 1], 4);
    expected[8] = 0x80000000;
    expected.set([0x7fc00000, 0xff800000, 0x80000000, bits(0.1), bits(3.5)], 12);
    expected.set([0xffffffff, 0, 1, 0x7fffffff], 20);
    expected[28] = 7;
    expect([...words]).toEqual([...expected]);
  });

  it('refuses values outside a field’s type and arrays of the wrong length, naming the field', () => {
    const block = paramBlock({ n: 'u32', d: 'i32', s: ['u32', 2] });
    const ok = { n: 1, d: -1, s: [1, 2] };
    expect(() => block.pack({ ...ok, n: -1 })).toThrow(
      /params\.n: expected a u32 \(an integer in \[0, 4294967295\]\), got -1/,
    );
    expect(() => block.pack({ ...ok, n: 2 ** 32 })).toThrow(/params\.n: .*got 4294967296/);
    expect(() => block.pack({ ...ok, n: 1.5 })).toThrow(/params\.n: .*got 1\.5/);
    expect(() => block.pack({ ...ok, d: 2 ** 31 })).toThrow(/params\.d: expected a i32 .*got 2147483648/);
    expect(() => block.pack({ ...ok, s: [1, 2, 3] })).toThrow(/params\.s: expected 2 numbers, got 3/);
    expect(() => block.pack({ ...ok, s: [1, -2] })).toThrow(/params\.s\[1\]: .*got -2/);
    // What the compiler would refuse, forced through at run time.
    expect(() => block.pack({ d: 0, s: [0, 0] } as never)).toThrow(
      /params\.n: expected a number, got undefined/,
    );
    expect(() => block.pack({ ...ok, s: 3 } as never)).toThrow(/params\.s: expected 2 numbers, got 3/);
  });
});

describe.skipIf(!ctx)('paramBlock on the real adapter', () => {
  const c = ctx!;
  afterAll(() => c.destroy());

  it('compiles, and the shader reads each field where pack put it', async () => {
    const block = paramBlock(MIXED);
    // Copies every field (arrays through their accessors) out as u32 bits, in declaration order.
    const reads: string[] = [];
    for (const f of block.fields) {
      const bitsOf = (e: string) => (f.type === 'u32' ? e : `bitcast<u32>(${e})`);
      if (f.length === undefined) reads.push(bitsOf(`params.${f.name}`));
      for (let i = 0; i < (f.length ?? 0); i++) reads.push(bitsOf(`params_${f.name}(${i}u)`));
    }
    const code = `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
${block.wgsl(1)}
@compute @workgroup_size(1)
fn main() {
${reads.map((r, i) => `  out[${i}] = ${r};`).join('\n')}
}`;
    const out = c.createBuffer(4 * reads.length);
    c.dispatch(c.kernel('test/params', code), [out, c.uniform(block.pack(MIXED_VALUES))], [1]);
    const got = new Uint32Array(await c.read(out, 4 * reads.length));
    const { weights, ...rest } = MIXED_VALUES;
    const want = [
      rest.rows,
      bits(rest.eps),
      ...rest.strides,
      rest.shift >>> 0,
      ...weights.map(bits),
      ...rest.signs.map((s) => s >>> 0),
      rest.last,
    ];
    expect([...got]).toEqual(want);
    c.releaseBuffer(out);
  });

  it('names the dispatch label in errors when several ops share one program', async () => {
    const block = paramBlock({ n: 'u32' });
    const code = `@group(0) @binding(0) var<storage, read_write> out: array<u32>;
${block.wgsl(1)}
@compute @workgroup_size(1) fn main() { out[0] = params.n; }`;
    const k = c.kernel('test/first_label', code);
    expect(c.kernel('test/second_label', code)).toBe(k);
    const small = c.createBuffer(4);
    // A storage buffer bound as the uniform block fails validation: the error names the dispatch's label.
    c.dispatch(k, [small, small], [1], 'test/op_label');
    await expect(c.sync()).rejects.toThrow(/test\/op_label/);
    c.releaseBuffer(small);
  });
});

describe('pack’s fields are checked by the compiler', () => {
  it('refuses a missing and an extra field, and accepts exactly the declared ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-params-'));
    const file = join(dir, 'use.ts');
    const src = resolve(import.meta.dirname, '../src/params.js');
    writeFileSync(
      file,
      `import { paramBlock } from ${JSON.stringify(src)};
const block = paramBlock({ rows: 'u32', eps: 'f32', strides: ['u32', 2] });
block.pack({ rows: 1, eps: 0.5, strides: [1, 2] });
block.pack({ rows: 1, strides: [1, 2] });
block.pack({ rows: 1, eps: 0.5, strides: [1, 2], extra: 3 });
const spread = { rows: 1, eps: 0.5, strides: [1, 2], cols: 3 };
block.pack(spread);
block.pack({ rows: 1, eps: 0.5, strides: 4 });
`,
    );
    const ts = createRequire(import.meta.url)('typescript') as typeof import('typescript');
    const program = ts.createProgram([file], {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      skipLibCheck: true,
      types: [],
    });
    const errors = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ({
        line: d.file ? d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1 : 0,
        at: d.file?.text.slice(d.start, (d.start ?? 0) + (d.length ?? 0)),
        text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
      }))
      .filter((d) => d.line > 0);
    // Lines: 3 exact (no error), 4 missing eps, 5 extra literal field, 7 extra field of a variable, 8 array as number.
    expect(
      errors.map((e) => e.line),
      JSON.stringify(errors),
    ).toEqual([4, 5, 7, 8]);
    expect(errors[0].text).toMatch(/Property 'eps' is missing/);
    expect(errors[1].at).toBe('extra');
    expect(errors[2].text).toMatch(/'cols'/);
    expect(errors[3].at).toBe('strides');
  }, 60_000);
});

describe('specialize and canonicalKey', () => {
  it('serializes plain data canonically: key order does not matter, values do', () => {
    expect(canonicalKey({ a: 1, b: [true, 'x'] })).toBe(canonicalKey({ b: [true, 'x'], a: 1 }));
    expect(canonicalKey({ a: 1, skip: undefined })).toBe(canonicalKey({ a: 1 }));
    expect(canonicalKey(0)).not.toBe(canonicalKey(-0));
    expect(canonicalKey('1')).not.toBe(canonicalKey(1));
    expect(canonicalKey([1, [2]])).not.toBe(canonicalKey([[1], 2]));
    expect(canonicalKey({ a: 'b,c' })).not.toBe(canonicalKey({ a: 'b', c: undefined }));
    expect(canonicalKey(Number.NaN)).toBe('NaN');
  });

  it('uses an object’s own serialization and refuses other class instances and functions', () => {
    class Tree {
      constructor(readonly shape: string) {}
      [CANONICAL]() {
        return this.shape;
      }
    }
    expect(canonicalKey({ t: new Tree('add(x,y)') })).toBe(canonicalKey({ t: new Tree('add(x,y)') }));
    expect(canonicalKey({ t: new Tree('add(x,y)') })).not.toBe(canonicalKey({ t: new Tree('mul(x,y)') }));
    expect(() => canonicalKey({ d: new Date(0) })).toThrow(
      /plain data or implement \[CANONICAL\], got an instance of Date/,
    );
    expect(() => canonicalKey({ f: () => 1 })).toThrow(/got a function/);
  });

  it('builds a specialization once per distinct options value', () => {
    let builds = 0;
    const source = specialize((o: { rank: number; dtype: 'f32' | 'i32' }) => {
      builds++;
      return { code: `// rank ${o.rank} ${o.dtype}`, params: paramBlock({ shape: ['u32', o.rank] }) };
    });
    const a = source({ rank: 2, dtype: 'f32' });
    expect(source({ dtype: 'f32', rank: 2 })).toBe(a);
    expect(builds).toBe(1);
    const b = source({ rank: 3, dtype: 'f32' });
    expect(b).not.toBe(a);
    expect(b.params.fields[0].length).toBe(3);
    source({ rank: 2, dtype: 'i32' });
    expect(builds).toBe(3);
  });
});
