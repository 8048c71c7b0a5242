import type { DType } from '../dtype.js';
import { renderExps } from '../ir/render.js';
import { ROW, type RowProgram, readsFirst } from '../ir/rows.js';
import { wgslLang, wgslLiteral } from '../ir/wgsl.js';

/**
 * WGSL pieces of a row program for the pair bodies of rows.wgsl: `prelude` runs first in every
 * pass, `point` is statements ending in `pt` (one element's pair, from `v`), `finish` turns the
 * combined pair `r` into the row's values, `apply` is statements ending in `ap` (the element written
 * from `v`); `pair` is the body of pair_combine and `init` its identity.
 */
export interface RowProgramWgsl {
  prelude: string;
  point: string;
  finish: string;
  apply: string;
  pair: string;
  init: string;
}

// One pass of online softmax: each thread keeps (max, Σ exp(x − max)), pairs merge by rescaling.
// A NaN max spreads NaN to the whole row, as PyTorch's softmax does.
const PAIRS = {
  'online-softmax': `let m = max_f(a.x, b.x);
  if (m == neg_inf()) { return vec2<f32>(m, 0.0); }
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));`,
  sum: 'return a + b;',
} as const;

/** Renders a row program, reading its param slot k as the WGSL `param(k, dtype)`. */
export function rowProgramWgsl(p: RowProgram, param: (slot: number, dtype: DType) => string): RowProgramWgsl {
  const stat = ['r.x', 'r.y', 'f32(len)', `a${ROW.first}`];
  const lang = wgslLang((e) => {
    if (e.op === 'input') return 'v';
    if (e.op === 'param') return param(e.arg, e.dtype);
    if (e.op === 'acc') return e.arg < ROW.finish ? stat[e.arg] : `a${e.arg}`;
    throw new Error(`internal: a row program cannot read '${e.op}'`);
  });
  const point = renderExps(p.point, lang, 'pt');
  const finish = renderExps(p.finish, lang, 'fi');
  const apply = renderExps([p.apply], lang, 'ap');
  return {
    prelude: readsFirst(p) ? `let a${ROW.first} = load_a(base);` : '',
    point: [...point.lines, `let pt = vec2<f32>(${point.values.join(', ')});`].join('\n    '),
    finish: [...finish.lines, ...finish.values.map((v, i) => `let a${ROW.finish + i} = ${v};`)].join('\n  '),
    apply: [...apply.lines, `let ap = ${apply.values[0]};`].join('\n    '),
    pair: PAIRS[p.combine],
    init: p.init.map((v) => wgslLiteral(v, 'f32')).join(', '),
  };
}
