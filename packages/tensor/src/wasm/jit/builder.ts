import { MEM, type Op, PLAIN, SAT, SIMD, SIMD_LANE, SIMD_MEM } from './opcodes.js';

/** Value types of WebAssembly locals, params and results. */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128';
const TYPE_BYTE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b };
const BLOCK_VOID = 0x40;

/** Unsigned LEB128. */
export function uleb(n: number, out: number[] = []): number[] {
  let v = n >>> 0;
  do {
    const b = v & 0x7f;
    v >>>= 7;
    out.push(v ? b | 0x80 : b);
  } while (v);
  return out;
}

/** Signed LEB128 of a bigint (i32 and i64 constants). */
export function sleb(n: bigint, out: number[] = []): number[] {
  let v = n;
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

const bytesOf = (a: ArrayBufferView): number[] => [...new Uint8Array(a.buffer, a.byteOffset, a.byteLength)];

/** A length-prefixed byte vector (sections, function bodies, names). */
const sized = (body: number[]): number[] => [...uleb(body.length), ...body];
const name = (s: string): number[] => sized([...new TextEncoder().encode(s)]);

/**
 * One function body: its locals and instruction bytes. Instructions are appended in stack order;
 * the builder checks nothing about types (WebAssembly.compile validates the whole module).
 */
export class Code {
  readonly bytes: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly params: readonly ValType[]) {}

  /** A new local of type `t`; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  /** Instructions without immediates, in order. */
  op(...ops: Op[]): this {
    for (const o of ops) {
      if (o in PLAIN) this.bytes.push(PLAIN[o as keyof typeof PLAIN]);
      else if (o in SAT) this.bytes.push(0xfc, ...uleb(SAT[o as keyof typeof SAT]));
      else this.bytes.push(0xfd, ...uleb(SIMD[o as keyof typeof SIMD]));
    }
    return this;
  }

  get(i: number): this {
    this.bytes.push(0x20, ...uleb(i));
    return this;
  }
  set(i: number): this {
    this.bytes.push(0x21, ...uleb(i));
    return this;
  }
  tee(i: number): this {
    this.bytes.push(0x22, ...uleb(i));
    return this;
  }

  i32(v: number): this {
    this.bytes.push(0x41, ...sleb(BigInt(v | 0)));
    return this;
  }
  i64(v: bigint): this {
    this.bytes.push(0x42, ...sleb(BigInt.asIntN(64, v)));
    return this;
  }
  f32(v: number): this {
    this.bytes.push(0x43, ...bytesOf(Float32Array.of(v)));
    return this;
  }
  f64(v: number): this {
    this.bytes.push(0x44, ...bytesOf(Float64Array.of(v)));
    return this;
  }
  /** A v128 constant from 16 bytes. */
  v128(bytes: ArrayBufferView): this {
    this.bytes.push(0xfd, ...uleb(0x0c), ...bytesOf(bytes));
    return this;
  }
  /** i8x16.shuffle: byte i of the result is byte `lanes[i]` of a ++ b. */
  shuffle(lanes: readonly number[]): this {
    this.bytes.push(0xfd, ...uleb(0x0d), ...lanes);
    return this;
  }

  /** A load or store at the address on the stack plus `offset` bytes. */
  mem(o: keyof typeof MEM | keyof typeof SIMD_MEM, offset = 0, lane?: number): this {
    if (o in MEM) this.bytes.push(MEM[o as keyof typeof MEM], 0, ...uleb(offset));
    else {
      this.bytes.push(0xfd, ...uleb(SIMD_MEM[o as keyof typeof SIMD_MEM]), 0, ...uleb(offset));
      if (lane !== undefined) this.bytes.push(lane);
    }
    return this;
  }
  lane(o: keyof typeof SIMD_LANE, lane: number): this {
    this.bytes.push(0xfd, ...uleb(SIMD_LANE[o]), lane);
    return this;
  }

  /** `block`, `loop` or `if`, without a result or with one of type `result`; close with {@link end}. */
  open(kind: 'block' | 'loop' | 'if', result?: ValType): this {
    const type = result ? TYPE_BYTE[result] : BLOCK_VOID;
    this.bytes.push(kind === 'block' ? 0x02 : kind === 'loop' ? 0x03 : 0x04, type);
    return this;
  }
  else(): this {
    this.bytes.push(0x05);
    return this;
  }
  end(): this {
    this.bytes.push(0x0b);
    return this;
  }
  br(depth: number): this {
    this.bytes.push(0x0c, ...uleb(depth));
    return this;
  }
  brIf(depth: number): this {
    this.bytes.push(0x0d, ...uleb(depth));
    return this;
  }
  call(fn: number): this {
    this.bytes.push(0x10, ...uleb(fn));
    return this;
  }

  /** The body as the code section stores it: locals run-length encoded, then the instructions and `end`. */
  encode(): number[] {
    const runs: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    const head = uleb(runs.length);
    for (const [n, t] of runs) head.push(...uleb(n), TYPE_BYTE[t]);
    return sized([...head, ...this.bytes, 0x0b]);
  }
}

interface Func {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

/**
 * A WebAssembly module under construction: one imported memory (`env.memory`), imported
 * functions, and defined functions, some exported. Imports are numbered before definitions, so
 * declare every import before the first {@link func}.
 */
export class ModuleBuilder {
  private readonly imports: (Func & { module: string; field: string })[] = [];
  private readonly funcs: (Func & { code: Code })[] = [];
  private readonly exports: [string, number][] = [];

  /** `shared`: the memory is a SharedArrayBuffer (its import must then declare a maximum). */
  constructor(private readonly memory: { shared: boolean; maxPages: number }) {}

  /** Imports `module.field` as a function; returns its function index. */
  importFunc(module: string, field: string, params: ValType[], results: ValType[]): number {
    if (this.funcs.length > 0) throw new Error('internal: imports must precede function definitions');
    this.imports.push({ module, field, params, results });
    return this.imports.length - 1;
  }

  /** Defines a function whose body `build` writes into a fresh {@link Code}; returns its index. */
  func(params: ValType[], results: ValType[], build: (c: Code) => void): number {
    const code = new Code(params);
    const index = this.imports.length + this.funcs.length;
    this.funcs.push({ params, results, code });
    build(code);
    return index;
  }

  /** Reserves a function index whose body is written later (for routines that call themselves or each other). */
  declare(params: ValType[], results: ValType[]): { index: number; code: Code } {
    const code = new Code(params);
    const index = this.imports.length + this.funcs.length;
    this.funcs.push({ params, results, code });
    return { index, code };
  }

  export(field: string, fn: number): void {
    this.exports.push([field, fn]);
  }

  /** The module's bytes. */
  toBytes(): Uint8Array {
    const sigs: string[] = [];
    const sigOf = (f: Func) => {
      const key = `${f.params.join(',')}>${f.results.join(',')}`;
      let i = sigs.indexOf(key);
      if (i < 0) i = sigs.push(key) - 1;
      return i;
    };
    const importSigs = this.imports.map(sigOf);
    const funcSigs = this.funcs.map(sigOf);
    const types = sigs.map((key) => {
      const [p, r] = key.split('>').map((s) => (s ? (s.split(',') as ValType[]) : []));
      return [
        0x60,
        ...uleb(p.length),
        ...p.map((t) => TYPE_BYTE[t]),
        ...uleb(r.length),
        ...r.map((t) => TYPE_BYTE[t]),
      ];
    });
    const { shared, maxPages } = this.memory;
    const memImport = [
      ...name('env'),
      ...name('memory'),
      0x02,
      ...(shared ? [0x03, 1, ...uleb(maxPages)] : [0x00, 1]),
    ];
    const imports = [
      memImport,
      ...this.imports.map((f, i) => [...name(f.module), ...name(f.field), 0x00, ...uleb(importSigs[i])]),
    ];
    const section = (id: number, items: number[][]) => [
      id,
      ...sized([...uleb(items.length), ...items.flat()]),
    ];
    return new Uint8Array([
      ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
      ...section(1, types),
      ...section(2, imports),
      ...section(
        3,
        funcSigs.map((s) => uleb(s)),
      ),
      ...section(
        7,
        this.exports.map(([f, i]) => [...name(f), 0x00, ...uleb(i)]),
      ),
      ...section(
        10,
        this.funcs.map((f) => f.code.encode()),
      ),
    ]);
  }
}
