// Exact float32 stand-ins for float64 parameters, so a float32 feature compares as the source does.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The float32 after `x` (toward +inf); +inf stays +inf. */
export function nextUp(x: number): number {
  f32[0] = x;
  if (Number.isNaN(x) || x === Number.POSITIVE_INFINITY) return x;
  if (x === 0) {
    u32[0] = 1; // the smallest subnormal; −0 and +0 both step to it
    return f32[0];
  }
  u32[0] += x > 0 ? 1 : -1;
  return f32[0];
}

/** The float32 before `x` (toward −inf). */
export const nextDown = (x: number): number => -nextUp(-x);

/** The largest float32 <= x: for float32 v, `v <= x` holds exactly when `v <= floorF32(x)`. */
export function floorF32(x: number): number {
  const f = Math.fround(x);
  return f > x ? nextDown(f) : f;
}

/** The smallest float32 >= x: for float32 v, `v < x` holds exactly when `v < ceilF32(x)`. */
export function ceilF32(x: number): number {
  const f = Math.fround(x);
  return f < x ? nextUp(f) : f;
}
