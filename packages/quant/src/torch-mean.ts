/**
 * torch.mean of a 1-D float32 tensor on the CPU, bit for bit: bitsandbytes takes double
 * quantization's offset as `absmax.mean()`. ATen computes it as the float32 sum divided by the count
 * (ReduceOps.cpp `mean_out` on CPU: `sum_out(...).div_(n)`); the sum is ATen's cascade sum
 * (aten/src/ATen/native/cpu/SumKernel.cpp: `cascade_sum` → `vectorized_inner_sum` → `row_sum` →
 * `multi_row_sum`, float accumulators), transcribed here for its AVX2 and default kernels, which use
 * 8-lane vectors (an AVX-512 build sums in 16 lanes). Serial order: above 32,768 values torch splits
 * the sum across its threads, and the last bit then depends on the thread count.
 */

const f32 = Math.fround;
const LANES = 8;
const ILP = 4;
const LEVELS = 4;

/** utils::CeilLog2: 1 up to 2, else ⌈log₂ x⌉. */
const ceilLog2 = (x: number): number => (x <= 2 ? 1 : 32 - Math.clz32(x - 1));

/** Lane-wise a += b, each lane rounded to f32. */
function addInto(a: Float32Array, b: ArrayLike<number>): void {
  for (let l = 0; l < a.length; l++) a[l] = f32(a[l] + b[l]);
}

/**
 * `multi_row_sum`: sums `nrows` interleaved rows of `size` items (each `width` lanes) in a cascade of
 * four levels of 2^p items, p = max(4, ⌈log₂ size⌉ / 4), so that only partial sums of similar size meet.
 */
function multiRowSum(
  load: (i: number, k: number) => ArrayLike<number>,
  size: number,
  nrows: number,
  width: number,
): Float32Array[] {
  const power = Math.max(4, Math.floor(ceilLog2(size) / LEVELS));
  const step = 2 ** power;
  const acc = Array.from({ length: LEVELS }, () =>
    Array.from({ length: nrows }, () => new Float32Array(width)),
  );
  let i = 0;
  while (i + step <= size) {
    for (let j = 0; j < step; j++, i++) for (let k = 0; k < nrows; k++) addInto(acc[0][k], load(i, k));
    for (let j = 1; j < LEVELS; j++) {
      for (let k = 0; k < nrows; k++) {
        addInto(acc[j][k], acc[j - 1][k]);
        acc[j - 1][k].fill(0);
      }
      // (i & (mask << j·p)) != 0: this level's group is not complete yet.
      if (Math.floor(i / 2 ** (j * power)) % step !== 0) break;
    }
  }
  for (; i < size; i++) for (let k = 0; k < nrows; k++) addInto(acc[0][k], load(i, k));
  for (let j = 1; j < LEVELS; j++) for (let k = 0; k < nrows; k++) addInto(acc[0][k], acc[j][k]);
  return acc[0];
}

/** `row_sum`: the row read as rows of 4 items, summed by multiRowSum, then the rest and the 4 partials. */
function rowSum(load: (i: number) => ArrayLike<number>, size: number, width: number): Float32Array {
  const rows = Math.floor(size / ILP);
  const partial = multiRowSum((i, k) => load(i * ILP + k), rows, ILP, width);
  for (let i = rows * ILP; i < size; i++) addInto(partial[0], load(i));
  for (let k = 1; k < ILP; k++) addInto(partial[0], partial[k]);
  return partial[0];
}

/** ATen's float32 sum of `x` (see the module comment). */
export function torchSumF32(x: ArrayLike<number>): number {
  const n = x.length;
  const at = (i: number) => [f32(x[i])];
  if (n < LANES) return rowSum(at, n, 1)[0];
  // vectorized_inner_sum: 8-lane vectors summed lane-wise, then the tail, then the lanes in order.
  const vectors = Math.floor(n / LANES);
  const vector = (i: number) => Float32Array.from({ length: LANES }, (_, l) => x[i * LANES + l]);
  const lanes = rowSum(vector, vectors, LANES);
  let sum = 0;
  for (let k = vectors * LANES; k < n; k++) sum = f32(sum + x[k]);
  for (let l = 0; l < LANES; l++) sum = f32(sum + lanes[l]);
  return sum;
}

/** torch.mean of a float32 vector on the CPU: the float32 sum divided by the count, rounded to f32. */
export const torchMeanF32 = (x: ArrayLike<number>): number =>
  x.length === 0 ? Number.NaN : f32(torchSumF32(x) / x.length);
