import type { DType } from '../../dtype.js';
import type { AluOp } from '../../ir/alu.js';
import { type Exp, walk } from '../../ir/exp.js';
import { hasVectorForm, type Target, WASM_ALU, type WasmRule } from './alu.js';
import { type Code, ModuleBuilder, type ValType } from './builder.js';
import type { E } from './lanes.js';
import { Routines } from './routines.js';

/**
 * How a map kernel walks one input, row by row of the coalesced iteration shape (rows × len):
 * `scalar` one element for all; `flat` contiguous, rows following each other; `rows` each row
 * contiguous, starting where a table of row addresses says; `rowScalar` one element per row (from
 * the table); `strided` from the table, with a step given at run time.
 */
export type Access = 'scalar' | 'flat' | 'rows' | 'rowScalar' | 'strided';

/** An input slot of a kernel: how it is walked and its element type. */
export interface Slot {
  readonly access: Access;
  readonly dtype: DType;
}

/** Bytes of an element of `d` in memory. */
export const elementBytes = (d: DType): number => (d === 'u8' ? 1 : 4);

/**
 * The argument block a kernel reads, in 32-bit words: first row, end row, row length, the index
 * of row 0's first element; per input slot its base address (the element of row 0, or the row
 * table's address) and its step in bytes (strided only); per output its address; then each
 * param's bits. A thread's share of a map is a block with its own rows, or (a single row) its own
 * addresses, length and index.
 */
export const ARG_HEAD = 4;
export const argWords = (inputs: number, outputs: number, params: number): number =>
  ARG_HEAD + 2 * inputs + outputs + params;

/** Whether every op of `exps` has a vector form and every input is walked with step 0 or 1. */
export function vectorizable(exps: readonly Exp[], slots: readonly (Slot | undefined)[]): boolean {
  let ok = slots.every((s) => s?.access !== 'strided');
  walk(exps, (e) => {
    if (e.op === 'cast') ok &&= !(e.src[0].dtype === 'f32' && e.dtype !== 'f32');
    else if (e.src.length > 0) ok &&= hasVectorForm(e.op as AluOp, e.src[0].dtype);
  });
  return ok;
}

const PAGE_LIMIT = 65536;

/**
 * A WebAssembly module exporting `map(args)`, which computes `exps` over rows [first, end) of a
 * rows × len iteration: output i's element k (row-major) is `exps[i]` with input slot j read from
 * slot j's memory. Each row runs four elements at a time in f32x4/i32x4 lanes where `vector`, then
 * one at a time for the rest.
 */
export function buildMapModule(
  exps: readonly Exp[],
  slots: readonly (Slot | undefined)[],
  params: readonly DType[],
  opts: { vector: boolean; sharedMemory: boolean },
): Uint8Array {
  const mb = new ModuleBuilder({ shared: opts.sharedMemory, maxPages: PAGE_LIMIT });
  const routines = new Routines(mb);
  const main = mb.declare(['i32'], []);
  mb.export('map', main.index);
  new MapWriter(main.code, exps, slots, params, routines).write(opts.vector);
  return mb.toBytes();
}

const scalarType = (d: DType): ValType => (d === 'f32' ? 'f32' : 'i32');

class MapWriter {
  private readonly c: Code;
  private readonly args = 0;
  private readonly row: number;
  private readonly end: number;
  private readonly len: number;
  private readonly col: number;
  private readonly index: number;
  /** Per input slot: its current address, its row table, its step. */
  private readonly ptr: number[] = [];
  private readonly table: number[] = [];
  private readonly step: number[] = [];
  /** Per slot read once per row or once in all: the value, and its splat. */
  private readonly held: number[] = [];
  private readonly heldVec: number[] = [];
  private readonly out: number[] = [];
  private readonly param: number[] = [];
  private readonly paramVec: number[] = [];

  constructor(
    code: Code,
    private readonly exps: readonly Exp[],
    private readonly slots: readonly (Slot | undefined)[],
    private readonly params: readonly DType[],
    private readonly routines: Routines,
  ) {
    const c = code;
    this.c = c;
    this.row = c.local('i32');
    this.end = c.local('i32');
    this.len = c.local('i32');
    this.col = c.local('i32');
    this.index = c.local('i32');
  }

  private word(i: number): void {
    this.c.get(this.args).mem('i32.load', 4 * i);
  }

  write(vector: boolean): void {
    const c = this.c;
    const nIn = this.slots.length;
    this.word(0);
    c.set(this.row);
    this.word(1);
    c.set(this.end);
    this.word(2);
    c.set(this.len);
    // The index of row `row`'s first element, and its offset from row 0's.
    const skipped = c.local('i32');
    c.get(this.row).get(this.len).op('i32.mul').set(skipped);
    this.word(3);
    c.get(skipped).op('i32.add').set(this.index);
    for (const [j, s] of this.slots.entries()) {
      if (!s) continue;
      const p = c.local('i32');
      this.ptr[j] = p;
      if (s.access === 'flat' || s.access === 'scalar') {
        this.word(ARG_HEAD + 2 * j);
        if (s.access === 'flat') c.get(skipped).i32(elementBytes(s.dtype)).op('i32.mul', 'i32.add');
        c.set(p);
      } else {
        this.table[j] = c.local('i32');
        this.word(ARG_HEAD + 2 * j);
        c.set(this.table[j]);
        if (s.access === 'strided') {
          this.step[j] = c.local('i32');
          this.word(ARG_HEAD + 1 + 2 * j);
          c.set(this.step[j]);
        }
      }
      if (s.access === 'scalar' || s.access === 'rowScalar') {
        this.held[j] = c.local(scalarType(s.dtype));
        if (vector) this.heldVec[j] = c.local('v128');
        if (s.access === 'scalar') this.hold(j, vector);
      }
    }
    for (const [i, e] of this.exps.entries()) {
      this.out[i] = c.local('i32');
      this.word(ARG_HEAD + 2 * nIn + i);
      c.get(skipped).i32(elementBytes(e.dtype)).op('i32.mul', 'i32.add').set(this.out[i]);
    }
    for (const [k, d] of this.params.entries()) {
      if (d === undefined) continue;
      this.param[k] = c.local(scalarType(d));
      c.get(this.args).mem(
        d === 'f32' ? 'f32.load' : 'i32.load',
        4 * (ARG_HEAD + 2 * nIn + this.exps.length + k),
      );
      c.set(this.param[k]);
      if (vector) {
        this.paramVec[k] = c.local('v128');
        c.get(this.param[k])
          .op(d === 'f32' ? 'f32x4.splat' : 'i32x4.splat')
          .set(this.paramVec[k]);
      }
    }
    // for (; row < end; row++) { row setup; vector loop; scalar loop }
    c.open('block').open('loop');
    c.get(this.row).get(this.end).op('i32.ge_s').brIf(1);
    for (const [j, s] of this.slots.entries()) {
      if (!s || s.access === 'flat' || s.access === 'scalar') continue;
      c.get(this.table[j]).get(this.row).i32(4).op('i32.mul', 'i32.add').mem('i32.load').set(this.ptr[j]);
      if (s.access === 'rowScalar') this.hold(j, vector);
    }
    c.i32(0).set(this.col);
    if (vector) this.loop(true);
    this.loop(false);
    c.get(this.row).i32(1).op('i32.add').set(this.row);
    c.br(0).end().end();
  }

  /** Loads slot j's one value (at its pointer) into its held local, and its splat. */
  private hold(j: number, vector: boolean): void {
    const c = this.c;
    const d = (this.slots[j] as Slot).dtype;
    c.get(this.ptr[j]).mem(d === 'f32' ? 'f32.load' : d === 'u8' ? 'i32.load8_u' : 'i32.load');
    c.set(this.held[j]);
    if (vector)
      c.get(this.held[j])
        .op(d === 'f32' ? 'f32x4.splat' : 'i32x4.splat')
        .set(this.heldVec[j]);
  }

  /** The loop over a row's columns: 4 at a time while 4 remain (vector), else 1 at a time. */
  private loop(vector: boolean): void {
    const c = this.c;
    const width = vector ? 4 : 1;
    c.open('block').open('loop');
    c.get(this.col).i32(width).op('i32.add').get(this.len).op('i32.gt_s').brIf(1);
    this.body(vector);
    const advance = (local: number, by: () => void) => {
      c.get(local);
      by();
      c.op('i32.add').set(local);
    };
    for (const [j, s] of this.slots.entries()) {
      if (!s || s.access === 'scalar' || s.access === 'rowScalar') continue;
      if (s.access === 'strided') advance(this.ptr[j], () => c.get(this.step[j]));
      else advance(this.ptr[j], () => c.i32(width * elementBytes(s.dtype)));
    }
    for (const [i, e] of this.exps.entries())
      advance(this.out[i], () => c.i32(width * elementBytes(e.dtype)));
    advance(this.index, () => c.i32(width));
    advance(this.col, () => c.i32(width));
    c.br(0).end().end();
  }

  /** One step: read the inputs, compute every node once, store the outputs. */
  private body(vector: boolean): void {
    const c = this.c;
    const values = new Map<Exp, E>();
    const local = (d: DType) => c.local(vector ? 'v128' : scalarType(d));
    const target: Target = {
      c,
      vector,
      routine: (name) => this.routines.get(name, vector),
      inline: (name, args) => this.routines.write(name, vector, c, args),
      fmod: this.routines.fmod,
      temp: local,
    };
    const loaded = new Map<number, E>();
    const input = (slot: number, d: DType): E => {
      const s = this.slots[slot] as Slot;
      if (s.access === 'scalar' || s.access === 'rowScalar') {
        const l = vector ? this.heldVec[slot] : this.held[slot];
        return () => c.get(l);
      }
      let hit = loaded.get(slot);
      if (!hit) {
        const l = local(d);
        this.load(slot, d, vector);
        c.set(l);
        hit = () => c.get(l);
        loaded.set(slot, hit);
      }
      return hit;
    };
    let indexVec: number | undefined;
    const leaf = (e: Exp): E => {
      switch (e.op) {
        case 'input':
          return input(e.arg, e.dtype);
        case 'param': {
          const l = vector ? this.paramVec[e.arg] : this.param[e.arg];
          return () => c.get(l);
        }
        case 'const':
          return () => constant(c, e.dtype, e.arg, vector);
        case 'index':
          if (!vector) return () => c.get(this.index);
          if (indexVec === undefined) {
            indexVec = c.local('v128');
            c.get(this.index)
              .op('i32x4.splat')
              .v128(Int32Array.of(0, 1, 2, 3))
              .op('i32x4.add')
              .set(indexVec);
          }
          return () => c.get(indexVec as number);
        default:
          throw new Error(`internal: a map kernel cannot read '${e.op}'`);
      }
    };
    walk(this.exps, (e) => {
      if (e.src.length === 0) {
        values.set(e, leaf(e));
        return;
      }
      const args = e.src.map((s) => values.get(s) as E);
      const l = local(e.dtype);
      if (e.op === 'cast') cast(target, e.src[0].dtype, e.dtype, args[0]);
      else {
        const rule: WasmRule = WASM_ALU[e.op as AluOp];
        const emit = vector ? rule.vector : rule.scalar;
        if (!emit) throw new Error(`internal: '${e.op}' has no vector form`);
        emit(target, e.src[0].dtype, args[0], args[1], args[2]);
      }
      c.set(l);
      values.set(e, () => c.get(l));
    });
    for (const [i, e] of this.exps.entries()) this.store(i, e.dtype, values.get(e) as E, vector);
  }

  private load(slot: number, d: DType, vector: boolean): void {
    const c = this.c;
    c.get(this.ptr[slot]);
    if (!vector) c.mem(d === 'f32' ? 'f32.load' : d === 'u8' ? 'i32.load8_u' : 'i32.load');
    else if (d !== 'u8') c.mem('v128.load');
    else c.mem('v128.load32_zero').op('i16x8.extend_low_i8x16_u', 'i32x4.extend_low_i16x8_u');
  }

  private store(i: number, d: DType, value: E, vector: boolean): void {
    const c = this.c;
    c.get(this.out[i]);
    value();
    if (!vector) c.mem(d === 'f32' ? 'f32.store' : d === 'u8' ? 'i32.store8' : 'i32.store');
    else if (d !== 'u8') c.mem('v128.store');
    else {
      // Lanes hold 0…255, so narrowing i32 → i16 → i8 saturates nothing.
      const tmp = c.local('v128');
      value();
      c.op('i16x8.narrow_i32x4_u').tee(tmp).get(tmp).op('i8x16.narrow_i16x8_u');
      c.mem('v128.store32_lane', 0, 0);
    }
  }
}

/** A constant of dtype `d` (a splat in vector code). */
function constant(c: Code, d: DType, v: number, vector: boolean): void {
  if (!vector) d === 'f32' ? c.f32(v) : c.i32(v);
  else c.v128(d === 'f32' ? Float32Array.of(v, v, v, v) : Int32Array.of(v, v, v, v));
}

/** jsCast: integers to f32 by value, f32 to integers by truncation then wrap-around (ToInt32), integers by their bits (u8: & 255). */
function cast(t: Target, from: DType, to: DType, a: E): void {
  const c = t.c;
  a();
  if (from === to) return;
  if (to === 'f32') {
    const s = from === 'i32';
    if (t.vector) c.op(s ? 'f32x4.convert_i32x4_s' : 'f32x4.convert_i32x4_u');
    else c.op(s ? 'f32.convert_i32_s' : 'f32.convert_i32_u');
    return;
  }
  if (from === 'f32') {
    if (t.vector) throw new Error('internal: float-to-integer casts have no vector form');
    // trunc(a) mod 2^32, as JavaScript's ToInt32 (NaN and ±inf give 0).
    const tmp = c.local('f64');
    c.op('f64.promote_f32', 'f64.trunc').tee(tmp);
    c.get(tmp)
      .f64(2 ** -32)
      .op('f64.mul', 'f64.floor')
      .f64(2 ** 32)
      .op('f64.mul', 'f64.sub');
    c.op('i32.trunc_sat_f64_u');
  }
  if (to === 'u8' && from !== 'u8') {
    if (t.vector) c.v128(Int32Array.of(255, 255, 255, 255)).op('v128.and');
    else c.i32(255).op('i32.and');
  }
}
