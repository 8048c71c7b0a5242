/** A scalar a parameter block holds: 32-bit unsigned, two's-complement signed, or IEEE float. */
export type ParamScalar = 'u32' | 'i32' | 'f32';

/** One field of a parameter block: a scalar, or `[scalar, length]` for a fixed-length array. */
export type ParamField = ParamScalar | readonly [ParamScalar, number];

/** The fields of a parameter block, by name, in the order they are laid out. */
export type ParamSchema = { readonly [name: string]: ParamField };

/** The value a field takes: a number for a scalar, a list for an array. */
export type ParamValue<F extends ParamField> = F extends ParamScalar ? number : ArrayLike<number>;

/**
 * The values {@link ParamBlock.pack} takes for a schema: a number per scalar, a list per array (for
 * a schema assembled at run time, whose fields are only known as `ParamField`, either).
 */
export type ParamValues<S extends ParamSchema> = { readonly [K in keyof S]: ParamValue<S[K]> };

/** Where one field sits in the block: byte offset, and for arrays the length (scalars: undefined). */
export interface ParamFieldLayout {
  readonly name: string;
  readonly type: ParamScalar;
  /** Byte offset in the block, by WGSL's uniform layout rules. */
  readonly offset: number;
  /** Array length; `undefined` for a scalar. */
  readonly length: number | undefined;
}

/** Rejects, at compile time, keys of `V` that the schema does not declare. */
type Exactly<V, S extends ParamSchema> = V & { readonly [K in Exclude<keyof V, keyof S>]: never };

const IDENT = /^[A-Za-z][A-Za-z0-9_]*$/;
const U32_MAX = 0xffffffff;
const I32_MIN = -0x80000000;
const I32_MAX = 0x7fffffff;

/**
 * A uniform parameter block declared once: it renders the WGSL struct and its binding (so a shader
 * reads `params.rows`, and element `i` of an array field `strides` as `params_strides(i)`), and packs
 * the host values into the bytes that struct expects.
 *
 * Layout follows WGSL's rules for the uniform address space, fields in declaration order: a scalar
 * takes 4 bytes at a 4-byte boundary; an array field is stored as `array<vec4<T>, ⌈length / 4⌉>`
 * (uniform arrays need a 16-byte stride), starting on a 16-byte boundary, at least one vec4 long.
 */
export class ParamBlock<S extends ParamSchema> {
  /** Every field with its byte offset, in declaration order. */
  readonly fields: readonly ParamFieldLayout[];
  /** Size of the struct in bytes (its last field's end, rounded up to the struct's alignment). */
  readonly byteSize: number;

  constructor(readonly schema: S) {
    const fields: ParamFieldLayout[] = [];
    let end = 0;
    let align = 4;
    for (const [name, field] of Object.entries(schema)) {
      if (!IDENT.test(name))
        throw new TypeError(
          `paramBlock: field name must be a WGSL identifier (a letter, then letters, digits, _), got '${name}'`,
        );
      const [type, length] = typeof field === 'string' ? [field, undefined] : field;
      if (type !== 'u32' && type !== 'i32' && type !== 'f32')
        throw new TypeError(
          `paramBlock: field '${name}' must be 'u32', 'i32' or 'f32', got '${String(type)}'`,
        );
      if (length !== undefined && !(Number.isInteger(length) && length >= 0))
        throw new RangeError(
          `paramBlock: array field '${name}' needs a length that is an integer >= 0, got ${length}`,
        );
      if (length === undefined) {
        fields.push({ name, type, offset: end, length });
        end += 4;
      } else {
        const offset = roundUp(end, 16);
        fields.push({ name, type, offset, length });
        end = offset + 16 * vec4s(length);
        align = 16;
      }
    }
    this.fields = fields;
    // WGSL allows no empty struct: a block without fields still holds one (unused) word.
    this.byteSize = roundUp(Math.max(end, 4), align);
  }

  /**
   * WGSL declaring the block: `struct Params`, `var<uniform> params: Params` at `@group(0)
   * @binding(binding)`, and for each array field `fn params_<name>(i: u32) -> <type>`.
   */
  wgsl(binding: number): string {
    const members = this.fields.map((f) =>
      f.length === undefined
        ? `  ${f.name}: ${f.type},`
        : `  ${f.name}: array<vec4<${f.type}>, ${vec4s(f.length)}>,`,
    );
    if (members.length === 0) members.push('  unused: u32,');
    const accessors = this.fields
      .filter((f) => f.length !== undefined)
      .map((f) => `fn params_${f.name}(i: u32) -> ${f.type} { return params.${f.name}[i / 4u][i % 4u]; }`);
    return [
      `struct Params {\n${members.join('\n')}\n};`,
      `@group(0) @binding(${binding}) var<uniform> params: Params;`,
      ...accessors,
    ].join('\n');
  }

  /**
   * The block's bytes as 32-bit words for `values`, which must name exactly the declared fields
   * (checked by the compiler). u32 and i32 values must be integers in their type's range, array
   * values as long as declared; otherwise a RangeError names the field. Padding is zero.
   */
  pack<V extends ParamValues<S>>(values: Exactly<V, S>): Uint32Array {
    const words = new Uint32Array(this.byteSize / 4);
    const floats = new Float32Array(words.buffer);
    const ints = new Int32Array(words.buffer);
    const given = values as unknown as Record<string, number | ArrayLike<number>>;
    for (const f of this.fields) {
      const v = given[f.name];
      const at = f.offset / 4;
      if (f.length === undefined) {
        if (typeof v !== 'number')
          throw new RangeError(`params.${f.name}: expected a number, got ${describe(v)}`);
        put(f, words, floats, ints, at, v, f.name);
        continue;
      }
      if (v === undefined || typeof v === 'number' || typeof v.length !== 'number')
        throw new RangeError(`params.${f.name}: expected ${f.length} numbers, got ${describe(v)}`);
      if (v.length !== f.length)
        throw new RangeError(`params.${f.name}: expected ${f.length} numbers, got ${v.length}`);
      for (let i = 0; i < f.length; i++) put(f, words, floats, ints, at + i, v[i], `${f.name}[${i}]`);
    }
    return words;
  }
}

/**
 * Declares a parameter block, TypeGPU-style: one schema gives the WGSL struct and the typed host
 * packing, so the two cannot disagree.
 *
 * @example
 * const block = paramBlock({ rows: 'u32', eps: 'f32', strides: ['u32', 3] });
 * block.wgsl(2);   // struct Params { rows: u32, eps: f32, strides: array<vec4<u32>, 1>, } …
 * block.pack({ rows: 4, eps: 1e-5, strides: [12, 4, 1] }); // Uint32Array of 8 words
 */
export function paramBlock<const S extends ParamSchema>(schema: S): ParamBlock<S> {
  return new ParamBlock(schema);
}

function put(
  f: ParamFieldLayout,
  words: Uint32Array,
  floats: Float32Array,
  ints: Int32Array,
  at: number,
  v: number,
  name: string,
): void {
  if (f.type === 'f32') {
    if (typeof v !== 'number') throw new RangeError(`params.${name}: expected a number, got ${describe(v)}`);
    floats[at] = v;
    return;
  }
  const [lo, hi] = f.type === 'u32' ? [0, U32_MAX] : [I32_MIN, I32_MAX];
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(
      `params.${name}: expected a ${f.type} (an integer in [${lo}, ${hi}]), got ${describe(v)}`,
    );
  if (f.type === 'u32') words[at] = v;
  else ints[at] = v;
}

const vec4s = (length: number) => Math.max(1, Math.ceil(length / 4));
const roundUp = (n: number, to: number) => Math.ceil(n / to) * to;
const describe = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
