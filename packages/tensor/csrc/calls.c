// One entry point for a list of kernel calls, so a thread runs its share of a kernel (row or
// column ranges of a product, whole batches, ranges of rows) with one call from JavaScript.
#include <stdint.h>

#include "simd.h"

void sgemm(int M, int N, int K, const float *a, int rsa, int csa, const float *b, int rsb, int csb, float *c,
           int ldc, float *scratch);
void sgemv(int N, int K, const float *x, int incx, const float *b, int rsb, int csb, float *y);
void sgemm_dots(int M, int N, int K, const float *a, int rsa, const float *b, int csb, float *c, int ldc);
void softmax_rows(const float *x, float *y, int rows, int len, int log);
void norm_rows(const float *x, float *y, int rows, int len, float eps, int center);
void attention_rows(const void *args, int start, int count, float *scratch);
void cb4_matmul(const void *args, int n0, int n1, float *scratch);
void cb4_decode(const void *args, int e0, int n, float *dst);
void cb8_decode(const void *args, int e0, int n, float *dst);

#define SGEMM 0
#define SGEMV 1
#define SOFTMAX 2
#define NORM 3
#define ATTENTION 4
#define SGEMM_DOTS 5
#define CB4_MATMUL 6
#define CB4_DECODE 7
#define CB8_DECODE 8
/**
 * Ints per record of run_calls' table: the routine (SGEMM, …), then its arguments in order; the
 * last is the calling thread's scratch for the routines that take one.
 */
#define RECORD 13

static inline float *ptr(int p) { return (float *)(uintptr_t)(unsigned)p; }

static inline float bits_to_float(int b) {
  union { int i; float f; } u = {b};
  return u.f;
}

/** Runs `count` records of `table` in order (float arguments travel as their bits). */
EXPORT void run_calls(const int *table, int count) {
  for (int i = 0; i < count; i++, table += RECORD) {
    const int *t = table + 1;
    switch (table[0]) {
    case SGEMM:
      sgemm(t[0], t[1], t[2], ptr(t[3]), t[4], t[5], ptr(t[6]), t[7], t[8], ptr(t[9]), t[10], ptr(t[11]));
      break;
    case SGEMV:
      sgemv(t[0], t[1], ptr(t[2]), t[3], ptr(t[4]), t[5], t[6], ptr(t[7]));
      break;
    case SOFTMAX:
      softmax_rows(ptr(t[0]), ptr(t[1]), t[2], t[3], t[4]);
      break;
    case NORM:
      norm_rows(ptr(t[0]), ptr(t[1]), t[2], t[3], bits_to_float(t[4]), t[5]);
      break;
    case SGEMM_DOTS:
      sgemm_dots(t[0], t[1], t[2], ptr(t[3]), t[4], ptr(t[5]), t[6], ptr(t[7]), t[8]);
      break;
    case ATTENTION:
      attention_rows(ptr(t[0]), t[1], t[2], ptr(t[11]));
      break;
    case CB4_MATMUL:
      cb4_matmul(ptr(t[0]), t[1], t[2], ptr(t[11]));
      break;
    case CB4_DECODE:
      cb4_decode(ptr(t[0]), t[1], t[2], ptr(t[3]));
      break;
    case CB8_DECODE:
      cb8_decode(ptr(t[0]), t[1], t[2], ptr(t[3]));
      break;
    }
  }
}
