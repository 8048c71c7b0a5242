// A fuzzer for the JSON model parsers: mutated copies of real model files, each of which must parse
// into a validated pipeline or be refused with a PipelineError, quickly; outcomes tallied per kind
// of mutation so that a parser that accepts, or refuses, everything shows.
import { expect } from 'vitest';
import { type Pipeline, PipelineError, validatePipeline } from '../src/index.js';
import { rng } from './helpers.js';

export const MUTATIONS = [
  'delete key',
  'rename key',
  'wrong type',
  'odd number',
  'array length',
  'structure',
  'truncated text',
  'token',
] as const;
export type Mutation = (typeof MUTATIONS)[number];

export type Tally = Record<Mutation, { parsed: number; refused: number }>;

type Key = string | number;
type Json = unknown;

/** Every path to a value inside `doc`, breadth first, at most `limit`. */
function pathsOf(doc: Json, limit = 20_000): Key[][] {
  const out: Key[][] = [];
  const queue: [Json, Key[]][] = [[doc, []]];
  for (let next = 0; next < queue.length && out.length < limit; next++) {
    const [v, path] = queue[next];
    if (path.length) out.push(path);
    if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) queue.push([x, [...path, Array.isArray(v) ? Number(k) : k]]);
  }
  return out;
}

const at = (doc: Json, path: Key[]) => path.reduce<Json>((v, k) => (v as Record<Key, Json>)[k], doc);
const isIntArray = (v: Json) => Array.isArray(v) && v.length > 1 && v.every((x) => Number.isInteger(x));

// Numbers JSON text can hold that a model should not (or, for XGBoost, bare tokens it may write).
const ODD_NUMBERS = [
  'NaN',
  'Infinity',
  '1e999',
  '-1e999',
  '1e308',
  '-1',
  '0',
  '2147483648',
  '0.5',
  '1e-320',
  '-0',
  '"nan"',
  '"inf"',
];
const WRONG = ['"x"', 'null', '{}', '[]', 'true', '-1.5', '[[1]]'];
// A placeholder value, then replaced in the text by what JSON.stringify cannot write (NaN, 1e999).
const MARK = '\u0000fuzz\u0000';

/**
 * Runs `trials` mutations (kinds in turn, documents and positions drawn with `seed`) of `seeds`
 * through `parse`. Each outcome must be a valid pipeline or a PipelineError with a message; any
 * other error fails, naming the trial. Returns the tally and the slowest parse in milliseconds.
 */
export function fuzzJson(
  seeds: Json[],
  parse: (text: string) => Pipeline,
  trials: number,
  seed: number,
): { tally: Tally; slowestMs: number } {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const paths = seeds.map((s) => pathsOf(s));
  const tally = Object.fromEntries(MUTATIONS.map((m) => [m, { parsed: 0, refused: 0 }])) as Tally;
  let slowestMs = 0;
  for (let trial = 0; trial < trials; trial++) {
    const kind = MUTATIONS[trial % MUTATIONS.length];
    const s = Math.floor(r() * seeds.length);
    const doc = structuredClone(seeds[s]);
    const path = pick(paths[s]);
    const parent = at(doc, path.slice(0, -1)) as Record<Key, Json>;
    const key = path[path.length - 1];
    let text: string;
    if (kind === 'delete key' || kind === 'rename key') {
      const obj = Array.isArray(parent) ? (at(doc, path.slice(0, -2)) as Record<Key, Json>) : parent;
      const k = Array.isArray(parent) ? path[path.length - 2] : key;
      if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
        if (kind === 'rename key') obj[`${k}_`] = obj[k];
        delete obj[k];
      }
      text = JSON.stringify(doc);
    } else if (kind === 'wrong type' || kind === 'odd number') {
      parent[key] = MARK;
      text = JSON.stringify(doc).replace(
        JSON.stringify(MARK),
        pick(kind === 'wrong type' ? WRONG : ODD_NUMBERS),
      );
    } else if (kind === 'array length') {
      const arrays = paths[s].filter((p) => Array.isArray(at(doc, p)) && (at(doc, p) as Json[]).length > 0);
      const arr = at(doc, pick(arrays)) as Json[];
      if (r() < 0.5) arr.splice(Math.floor(r() * arr.length), 1);
      else arr.push(structuredClone(arr[Math.floor(r() * arr.length)]));
      text = JSON.stringify(doc);
    } else if (kind === 'structure') {
      // Index arrays (children, features, classes) pointed anywhere, cycles included; or, in nested
      // trees, a node replaced by a copy of one of its ancestors.
      const ints = paths[s].filter((p) => isIntArray(at(doc, p)));
      if (ints.length) {
        const arr = at(doc, pick(ints)) as number[];
        arr[Math.floor(r() * arr.length)] = Math.floor(r() * (arr.length + 2)) - 1;
      } else if (path.length > 1) {
        parent[key] = structuredClone(at(doc, path.slice(0, Math.floor(r() * (path.length - 1)))));
      }
      text = JSON.stringify(doc);
    } else if (kind === 'truncated text') {
      const full = JSON.stringify(doc);
      text = full.slice(0, 1 + Math.floor(r() * (full.length - 1)));
    } else {
      const full = JSON.stringify(doc);
      const tokens = [
        ...full.matchAll(/"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[[\]{},:]|true|false|null/g),
      ];
      const t = pick(tokens);
      text =
        full.slice(0, t.index) +
        pick([...WRONG, ...ODD_NUMBERS, ',', ':', ']', '}', '']) +
        full.slice(t.index + t[0].length);
    }
    const started = performance.now();
    try {
      const pipeline = parse(text);
      validatePipeline(pipeline);
      expect(pipeline.outputs.length).toBeGreaterThan(0);
      tally[kind].parsed++;
    } catch (e) {
      if (!(e instanceof PipelineError))
        throw new Error(
          `trial ${trial} (${kind} at ${path.join('.')}): ${(e as Error).name}: ${(e as Error).message}`,
        );
      expect(e.message.length).toBeGreaterThan(10);
      tally[kind].refused++;
    }
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return { tally, slowestMs };
}

/**
 * The assertions every format's fuzz makes: each kind of damage is refused often, a truncated
 * file never parses, and mutations that leave a valid model (an unused key renamed, a threshold
 * changed) still parse — a parser that refused everything would fail here.
 */
export function expectTally(tally: Tally, trials: number): void {
  const perKind = trials / MUTATIONS.length;
  for (const m of MUTATIONS) expect(tally[m].refused, `${m} refused`).toBeGreaterThan(perKind * 0.2);
  expect(tally['truncated text'].parsed, 'truncated files parsed').toBe(0);
  const parsed = MUTATIONS.reduce((s, m) => s + tally[m].parsed, 0);
  expect(parsed, 'mutated files that still parse').toBeGreaterThan(trials * 0.05);
}
