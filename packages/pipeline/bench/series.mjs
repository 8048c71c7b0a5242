// One implementation timed over the batch sizes: each batch's outputs checked against a reference
// before it is timed, and a size skipped (with the reason printed) where one call would take too
// long or a strategy's tensors too much memory.
import { QUICK, time } from '@tessera/bench';

/** A size where one call would take longer than this is not timed (nor are larger ones). */
const SLOW_CALL_MS = QUICK ? 5_000 : 30_000;
/** Probabilities must agree within this (the benchmark's contract, as Hummingbird's parity tests). */
const ATOL = 1e-5;

/**
 * Throws unless `got` ({ label, probabilities }) agrees with `want` on `rows` rows of `classes`:
 * labels equal, probabilities within 1e-5. With `votes` (ml.js forests: a vote tie is broken by
 * the class that reached the count first there, by the lowest class in Tessera), a row whose
 * probabilities tie may take any tied class. Returns the number of tied rows.
 */
export function expectAgree(got, want, rows, classes, what, { votes = false } = {}) {
  let worst = 0;
  let ties = 0;
  for (let r = 0; r < rows; r++) {
    const p = want.probabilities.subarray(r * classes, (r + 1) * classes);
    for (let c = 0; c < classes; c++)
      worst = Math.max(worst, Math.abs(got.probabilities[r * classes + c] - p[c]));
    const [a, b] = [Number(got.label[r]), Number(want.label[r])];
    if (a === b) continue;
    const top = Math.max(...p);
    if (votes && p.filter((v) => v === top).length > 1 && p[a] === top) {
      ties++;
      continue;
    }
    throw new Error(`${what}: row ${r}: label ${a}, the reference's ${b} (probabilities ${[...p]})`);
  }
  if (!(worst <= ATOL))
    throw new Error(
      `${what}: probabilities differ by ${worst.toExponential(2)} from the reference's (at most ${ATOL})`,
    );
  return ties;
}

/**
 * Why the first `b` rows should not be timed, or undefined: a call estimated to take longer than
 * SLOW_CALL_MS. The estimate scales the last measured call linearly (pessimistic where a fixed
 * cost dominates, as a GPU call's on few rows), so it steps up tenfold with one untimed call per
 * step, each estimated first, until it reaches b. `measured` ({ b, ms }) is updated with each call.
 */
async function tooSlow(run, rows, columns, b, measured) {
  while (measured.b < b) {
    const next = Math.min(measured.b * 10, b);
    const estimate = (measured.ms * next) / measured.b;
    if (estimate > SLOW_CALL_MS)
      return `one call would take about ${(estimate / 1000).toFixed(0)} s (${measured.ms.toFixed(0)} ms at ${measured.b.toLocaleString('en')} rows)`;
    if (next === b) return undefined;
    const t0 = performance.now();
    await run(rows.subarray(0, next * columns), next);
    Object.assign(measured, { b: next, ms: performance.now() - t0 });
  }
  return undefined;
}

/**
 * Times `run(x, rows)` (resolving to { label, probabilities }) on the first b rows of `rows`
 * ([n, columns] float32) for each b of `batches` (ascending), after checking its outputs with
 * `check(out, b)`. Records ms per call and rows/s under `name` "<model> batch <b>". A size is not
 * timed where `tooBig(b)` gives a reason (memory) or a call would take too long (tooSlow); nor are
 * the larger ones. `notes` collects why.
 */
export async function series({ model, impl, run, check, rows, columns, batches, record, notes, tooBig }) {
  let measured;
  for (const b of batches) {
    const reason = tooBig?.(b) ?? (measured ? await tooSlow(run, rows, columns, b, measured) : undefined);
    if (reason) {
      notes.push(
        `${impl} on ${model}: batches of ${b.toLocaleString('en')} rows and more not timed: ${reason}`,
      );
      return;
    }
    const x = rows.subarray(0, b * columns);
    const t0 = performance.now();
    check?.(await run(x, b), b);
    const first = performance.now() - t0;
    // The checked call warmed up; slow calls are repeated only a few times.
    const ms = await time(() => run(x, b), first > 1000 ? { warmup: 0, minReps: 3 } : {});
    record(`${model} batch ${b}`, impl, 'ms', ms, 'ms');
    record(`${model} batch ${b}`, impl, 'rows/s', (b / ms) * 1000, 'rows/s');
    console.log(
      `  ${impl} ${model} batch ${b}: ${ms.toFixed(3)} ms, ${Math.round((b / ms) * 1000).toLocaleString('en')} rows/s`,
    );
    measured = { b, ms };
  }
}
