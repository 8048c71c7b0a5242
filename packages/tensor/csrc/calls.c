// One entry point for a list of products, so a thread runs its share of a matmul (row or column
// ranges, or whole batches) with one call from JavaScript.
#include <stdint.h>

#define EXPORT __attribute__((visibility("default")))

void sgemm(int M, int N, int K, const float *a, int rsa, int csa, const float *b, int rsb, int csb, float *c,
           int ldc, float *scratch);
int sgemv(int N, int K, const float *x, int incx, const float *b, int rsb, int csb, float *y);

#define SGEMM 0
#define SGEMV 1
/** Ints per record of run_calls' table: the routine (SGEMM or SGEMV), then its arguments in order. */
#define RECORD 13

static inline float *ptr(int p) { return (float *)(uintptr_t)(unsigned)p; }

/** Runs `count` records of `table` in order. */
EXPORT void run_calls(const int *table, int count) {
  for (int i = 0; i < count; i++, table += RECORD) {
    const int *t = table + 1;
    if (table[0] == SGEMM)
      sgemm(t[0], t[1], t[2], ptr(t[3]), t[4], t[5], ptr(t[6]), t[7], t[8], ptr(t[9]), t[10], ptr(t[11]));
    else
      sgemv(t[0], t[1], ptr(t[2]), t[3], ptr(t[4]), t[5], t[6], ptr(t[7]));
  }
}
