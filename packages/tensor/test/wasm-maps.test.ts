// The elementwise kernels generated as WebAssembly (src/wasm/jit) against the JavaScript map kernel
// they replace (ir/js.ts runMap, the CPU backend's): every ALU op on every dtype it takes, over
// random values and NaN, ±inf, ±0, subnormals, huge values and integer extremes, through the SIMD
// loop and the scalar one; broadcast, strided and sliced inputs; lengths around the SIMD width;
// several outputs; params and the element index; empty shapes.
import { afterAll, describe, expect, it } from 'vitest';
import { allocArray, type DType, type TypedArray, toArray } from '../src/dtype.js';
import { ALU, type AluOp } from '../src/ir/alu.js';
import { type Exp, ex } from '../src/ir/exp.js';
import { runMap } from '../src/ir/js.js';
import { contiguousStrides } from '../src/shape.js';
import { sleb, uleb } from '../src/wasm/jit/builder.js';
import { WasmMaps } from '../src/wasm/jit/maps.js';
import { HALF_PI_PIECES } from '../src/wasm/jit/math.js';
import { ROUTINES } from '../src/wasm/jit/routines.js';
import { instantiate } from '../src/wasm/module.js';
import { rng } from './helpers.js';

// One runtime on an ordinary memory and one on a shared memory (the import differs).
// No resident copies (budget 0): these tests place every operand per call.
const runtimes = [await instantiate(1, 0), await instantiate(2, 0)];
afterAll(() => {
  for (const rt of runtimes) rt.pool?.close();
});

interface View {
  handle: TypedArray;
  shape: number[];
  strides: number[];
  offset: number;
  dtype: DType;
}
const contiguous = (handle: TypedArray, dtype: DType, shape = [handle.length]): View => ({
  handle,
  shape,
  strides: contiguousStrides(shape),
  offset: 0,
  dtype,
});

/** The float32 bit patterns of a and b, as numbers 1 ulp apart when adjacent. */
const ordered = (v: number): number => {
  const i = new Int32Array(Float32Array.of(v).buffer)[0];
  return i < 0 ? -2147483648 - i : i;
};

/** Outcomes of comparing generated kernels with the reference: bit-identical, or 1 float32 ulp apart. */
interface Tally {
  exact: number;
  oneUlp: number;
}

/**
 * Runs `exps` on the generated kernel (of `maps`) and on the JavaScript reference, asserting the
 * outputs equal: integers exactly, floats bit for bit (NaN as NaN) or within 1 ulp where `ulp`
 * (double-precision routines rounded to float32 may land on the other side of a rounding
 * boundary from Math's); counts the outcomes into `tally`.
 */
function agree(
  maps: WasmMaps,
  exps: Exp[],
  shape: number[],
  inputs: View[],
  params: number[],
  what: string,
  tally: Tally,
  ulp = false,
): void {
  const got = maps.map(exps, shape, inputs, params);
  const n = shape.reduce((a, b) => a * b, 1);
  const want = exps.map((e) => allocArray(e.dtype, n));
  runMap(exps, want, shape, inputs, params);
  for (const [i, w] of want.entries()) {
    const g = got[i];
    expect(g.length, what).toBe(w.length);
    for (let k = 0; k < w.length; k++) {
      if (Object.is(g[k], w[k]) || (Number.isNaN(g[k]) && Number.isNaN(w[k]))) {
        tally.exact++;
        continue;
      }
      const close = ulp && w instanceof Float32Array && Math.abs(ordered(g[k]) - ordered(w[k])) === 1;
      if (!close) {
        const at = inputs.map((v) => v.handle[v.offset + k]).join(', ');
        throw new Error(`${what} output ${i} element ${k} (inputs ${at}): wasm ${g[k]}, reference ${w[k]}`);
      }
      tally.oneUlp++;
    }
  }
}

const r = rng(21);
const F32_SPECIAL = [
  Number.NaN,
  Infinity,
  -Infinity,
  0,
  -0,
  1e-40,
  -1e-40,
  1e-45,
  1.1754943508222875e-38,
  1e30,
  -1e30,
  3e38,
  -3e38,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  -2.5,
  2,
  3,
  1e-7,
  88.7,
  -104,
  1e5,
  12345.678,
  1e10,
  Math.fround(Math.PI),
  Math.fround(Math.PI / 2),
  16777216,
  33554432,
  0.29,
  -0.35,
  2147483648,
  -2147483904,
  4294967296,
];
const INT_SPECIAL: Record<'i32' | 'u32' | 'u8', number[]> = {
  i32: [0, 1, -1, 2, -2, 7, -7, 255, 256, 46341, 65536, 2147483647, -2147483648],
  u32: [0, 1, 2, 7, 255, 256, 65536, 2147483647, 2147483648, 4294967295],
  u8: [0, 1, 2, 7, 127, 128, 254, 255],
};

/** Random values of `d`: floats over many binades, integers small and full-range. */
function random(d: DType, n: number): number[] {
  return Array.from({ length: n }, () => {
    const u = r();
    if (d === 'f32') return (r() - 0.5) * (u < 0.4 ? 4 : u < 0.7 ? 40 : u < 0.9 ? 400 : 1e7);
    if (d === 'u8') return Math.floor(u * 256);
    const full = r() < 0.3;
    if (d === 'u32') return full ? Math.floor(u * 4294967296) : Math.floor(u * 1000);
    return full ? Math.floor(u * 4294967296) - 2147483648 : Math.floor(u * 2000) - 1000;
  });
}
const special = (d: DType) => (d === 'f32' ? F32_SPECIAL : INT_SPECIAL[d as 'i32' | 'u32' | 'u8']);

/** Unary operands: the specials then random values (an odd total, so SIMD loops leave a tail). */
const unaryValues = (d: DType) => toArray(d, [...special(d), ...random(d, 1001)]);

/** Binary operands: every pair of specials, then random pairs. */
function binaryValues(d: DType): [TypedArray, TypedArray] {
  const s = special(d);
  const a = [...s.flatMap((x) => s.map(() => x)), ...random(d, 503)];
  const b = [...s.flatMap(() => s), ...random(d, 503)];
  return [toArray(d, a), toArray(d, b)];
}

const ANY_UNARY: AluOp[] = ['neg', 'abs', 'sign', 'relu'];
/** The other unary ops take floats only. */
const FLOAT_UNARY = (Object.keys(ALU) as AluOp[]).filter(
  (op) => ALU[op].arity === 1 && !ANY_UNARY.includes(op),
);
const ANY_BINARY: AluOp[] = [
  'add',
  'sub',
  'mul',
  'div',
  'maximum',
  'minimum',
  'fmod',
  'eq',
  'ne',
  'lt',
  'le',
  'gt',
  'ge',
];
const SPECIAL_FORM: AluOp[] = ['pow', 'where', 'uniform', 'normal'];
const DTYPES: DType[] = ['f32', 'i32', 'u32', 'u8'];
/** The ops computed by double-precision routines, whose float32 results may differ from Math's by 1 ulp. */
const ROUTINE_OPS = new Set<AluOp>([...ROUTINES, 'normal']);

/** A strided view of the same values: every other element of a buffer twice as long (the scalar loop). */
function strided(v: View): View {
  const handle = allocArray(v.dtype, v.handle.length * 2);
  for (let i = 0; i < v.handle.length; i++) handle[2 * i + 1] = v.handle[i];
  return { handle, shape: v.shape, strides: [2], offset: 1, dtype: v.dtype };
}

describe.each(
  runtimes.map((rt) => [rt.pool ? 'shared memory' : 'own memory', rt] as const),
)('generated map kernels (%s)', (_, rt) => {
  const maps = new WasmMaps(rt);

  it('cover every ALU op', () => {
    const covered = new Set([...FLOAT_UNARY, ...ANY_UNARY, ...ANY_BINARY, ...SPECIAL_FORM]);
    expect([...covered].sort()).toEqual(Object.keys(ALU).sort());
  });

  it('match the JavaScript kernel on every op and dtype, SIMD and scalar loops alike', () => {
    const tallies = new Map<string, Tally>();
    let runs = 0;
    // Ops without a SIMD form: integer division, the remainder (floats call the host's %), and the
    // random streams (their hash shifts by a per-lane amount).
    let scalarOnly = 0;
    const run = (op: AluOp, d: DType, exps: Exp[], inputs: View[], params: number[] = []) => {
      runs++;
      if ((op === 'div' && d !== 'f32') || op === 'fmod' || op === 'uniform' || op === 'normal') scalarOnly++;
      const tally = tallies.get(op) ?? { exact: 0, oneUlp: 0 };
      tallies.set(op, tally);
      const n = inputs[0].shape[0];
      const ulp = ROUTINE_OPS.has(op);
      agree(maps, exps, [n], inputs, params, `${op} ${d} contiguous`, tally, ulp);
      agree(maps, exps, [n], inputs.map(strided), params, `${op} ${d} strided`, tally, ulp);
    };
    const before = { ...maps.counts };
    for (const op of FLOAT_UNARY)
      run(op, 'f32', [ex.alu(op, ex.input(0, 'f32'))], [contiguous(unaryValues('f32'), 'f32')]);
    for (const d of DTYPES) {
      for (const op of ANY_UNARY) run(op, d, [ex.alu(op, ex.input(0, d))], [contiguous(unaryValues(d), d)]);
      const [a, b] = binaryValues(d);
      for (const op of ANY_BINARY)
        run(op, d, [ex.alu(op, ex.input(0, d), ex.input(1, d))], [contiguous(a, d), contiguous(b, d)]);
      const cond = toArray(
        'u8',
        Array.from(a, (_, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : 200)),
      );
      run(
        'where',
        d,
        [ex.alu('where', ex.input(0, 'u8'), ex.input(1, d), ex.input(2, d))],
        [contiguous(cond, 'u8'), contiguous(a, d), contiguous(b, d)],
      );
    }
    const [a, b] = binaryValues('f32');
    run(
      'pow',
      'f32',
      [ex.alu('pow', ex.input(0, 'f32'), ex.input(1, 'f32'))],
      [contiguous(a, 'f32'), contiguous(b, 'f32')],
    );
    // Random streams: a seed param and the element index (plus an offset input).
    const counter = (n: number) =>
      toArray(
        'u32',
        Array.from({ length: n }, (_, i) => i * 7919),
      );
    for (const op of ['uniform', 'normal'] as const) {
      const exp = ex.alu(op, ex.param(0, 'u32'), ex.alu('add', ex.index(), ex.input(0, 'u32')));
      run(op, 'u32', [exp], [contiguous(counter(1001), 'u32')], [0xdeadbeef]);
    }
    const after = maps.counts;
    // Each op ran through both loops: the SIMD one where it has a form, the scalar one on strided inputs.
    expect(after.vector - before.vector).toBe(runs - scalarOnly);
    expect(after.scalar - before.scalar).toBe(runs + scalarOnly);
    expect(after.js).toBe(before.js);
    // The tally: 1-ulp differences only in routines, and rare there.
    let exact = 0;
    let oneUlp = 0;
    for (const [op, t] of tallies) {
      exact += t.exact;
      oneUlp += t.oneUlp;
      expect(t.oneUlp, op).toBeLessThanOrEqual(t.exact / 1000);
    }
    console.log(`generated vs JavaScript kernel: ${exact} identical, ${oneUlp} 1 ulp apart`);
    expect(exact).toBeGreaterThan(100_000);
    expect(oneUlp).toBeLessThan(exact / 10_000);
  });

  it('match the JavaScript kernel on every cast between dtypes', () => {
    const tally = { exact: 0, oneUlp: 0 };
    for (const from of DTYPES)
      for (const to of DTYPES) {
        const x = contiguous(unaryValues(from), from);
        const exps = [ex.cast(ex.input(0, from), to)];
        agree(maps, exps, [x.handle.length], [x], [], `cast ${from}→${to}`, tally);
        agree(maps, exps, [x.handle.length], [strided(x)], [], `cast ${from}→${to} strided`, tally);
      }
    expect(tally.oneUlp).toBe(0);
  });

  it('read broadcast, transposed and sliced inputs, with params, the index and several outputs', () => {
    const tally = { exact: 0, oneUlp: 0 };
    const f = (shape: number[]) =>
      toArray(
        'f32',
        random(
          'f32',
          shape.reduce((a, b) => a * b, 1),
        ),
      );
    // y = exp(a·p0 + b) and a < b, over [7, 13]: a a row broadcast down the rows ([1, 13] →
    // strides [0, 1]), b a column broadcast along them ([7, 1] → [1, 0]), then b transposed,
    // then a sliced every third column of a wider buffer.
    const a = f([13]);
    const b = f([7]);
    const x = ex.input(0, 'f32');
    const y = ex.input(1, 'f32');
    const exps = [
      ex.alu('exp', ex.alu('add', ex.alu('mul', x, ex.param(0, 'f32')), y)),
      ex.alu('lt', x, y),
      ex.cast(ex.alu('add', ex.index(), ex.param(1, 'u32')), 'f32'),
    ];
    const row: View = { handle: a, shape: [7, 13], strides: [0, 1], offset: 0, dtype: 'f32' };
    const col: View = { handle: b, shape: [7, 13], strides: [1, 0], offset: 0, dtype: 'f32' };
    agree(maps, exps, [7, 13], [row, col], [0.5, 3], 'row and column broadcast', tally, true);
    const t = f([13, 7]);
    const transposed: View = { handle: t, shape: [7, 13], strides: [1, 7], offset: 0, dtype: 'f32' };
    agree(maps, exps, [7, 13], [row, transposed], [-1.5, 0], 'transposed', tally, true);
    const wide = f([7, 40]);
    const sliced: View = { handle: wide, shape: [7, 13], strides: [40, 3], offset: 2, dtype: 'f32' };
    agree(maps, exps, [7, 13], [sliced, col], [2, 1], 'sliced', tally, true);
    const cols: View = { handle: wide, shape: [7, 13], strides: [40, 1], offset: 5, dtype: 'f32' };
    agree(maps, exps, [7, 13], [cols, row], [2, 1], 'column range', tally, true);
    const one: View = {
      handle: Float32Array.of(2.5),
      shape: [7, 13],
      strides: [0, 0],
      offset: 0,
      dtype: 'f32',
    };
    agree(maps, exps, [7, 13], [one, transposed], [1, 9], 'scalar', tally, true);
    expect(tally.exact).toBeGreaterThan(5 * 3 * 91 - 10);
  });

  it('handle lengths around the SIMD width and empty shapes', () => {
    const tally = { exact: 0, oneUlp: 0 };
    const x = ex.input(0, 'f32');
    const u = ex.input(1, 'u8');
    const exps = [ex.alu('tanh', ex.alu('mul', x, ex.cast(u, 'f32'))), ex.alu('add', u, ex.const(200, 'u8'))];
    for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1027]) {
      const inputs = [
        contiguous(toArray('f32', random('f32', n)), 'f32'),
        contiguous(toArray('u8', random('u8', n)), 'u8'),
      ];
      agree(maps, exps, [n], inputs, [], `length ${n}`, tally, true);
    }
    expect(tally.exact + tally.oneUlp).toBe(
      2 * [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 1027].reduce((a, b) => a + b),
    );
    const empty = {
      handle: new Float32Array(0),
      shape: [0, 5],
      strides: [5, 1],
      offset: 0,
      dtype: 'f32' as const,
    };
    const out = maps.map([ex.alu('exp', x)], [0, 5], [empty], []);
    expect(out.map((o) => o.length)).toEqual([0]);
  });

  it('runs the JavaScript kernel where an input is read as another dtype than its array holds', () => {
    const tally = { exact: 0, oneUlp: 0 };
    const before = maps.counts.js;
    const ints = contiguous(toArray('i32', [1, -2, 3, 2147483647, -2147483648]), 'i32');
    agree(maps, [ex.alu('add', ex.input(0, 'f32'), ex.const(1, 'f32'))], [5], [ints], [], 'mixed', tally);
    expect(maps.counts.js - before).toBe(1);
    expect(tally.exact).toBe(5);
  });

  it('splits large maps between threads, by rows or within one row', () => {
    const tally = { exact: 0, oneUlp: 0 };
    const x = ex.input(0, 'f32');
    const exps = [ex.alu('sin', ex.alu('exp', x)), ex.alu('add', ex.index(), ex.param(0, 'u32'))];
    const before = maps.counts.threaded;
    // One flat row of a length that is no multiple of 16 (or 4), and 401 strided rows.
    const flat = contiguous(toArray('f32', random('f32', 100_003)), 'f32');
    agree(maps, exps, [100_003], [flat], [7], 'one row', tally, true);
    const t = toArray('f32', random('f32', 300 * 401));
    const transposed: View = { handle: t, shape: [401, 300], strides: [1, 401], offset: 0, dtype: 'f32' };
    agree(maps, exps, [401, 300], [transposed], [0], 'rows', tally, true);
    expect(maps.counts.threaded - before).toBe(rt.pool ? 2 : 0);
    expect(tally.exact + tally.oneUlp).toBe(2 * (100_003 + 300 * 401));
  });
});

describe('the module builder', () => {
  it('encodes LEB128 as the WebAssembly spec does', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(uleb(0xffffffff)).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    expect(sleb(-123456n)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63n)).toEqual([0x3f]);
    expect(sleb(64n)).toEqual([0xc0, 0x00]);
    expect(sleb(-64n)).toEqual([0x40]);
    expect(sleb(-(2n ** 63n))).toEqual([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]);
  });

  it('cuts π/2 into pieces that add up to it and multiply exactly', () => {
    // Each piece has at most 28 significant bits, and the first two add to π/2 in double precision.
    for (const p of HALF_PI_PIECES) {
      const m = p / 2 ** Math.floor(Math.log2(p));
      expect(Number.isInteger(m * 2 ** 27)).toBe(true);
    }
    expect(HALF_PI_PIECES[0] + HALF_PI_PIECES[1]).toBe(Math.PI / 2);
    expect(HALF_PI_PIECES[0]).toBeLessThan(Math.PI / 2);
    expect(HALF_PI_PIECES[3]).toBeLessThan(2 ** -80);
  });
});
