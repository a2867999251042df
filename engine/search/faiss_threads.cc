#include "engine/search/faiss_threads.h"

#include <omp.h>

#include "engine/core/assert.h"

// OpenBLAS's own knobs. Declared weak so the engine links against any BLAS:
// when the BLAS in use is not OpenBLAS the symbols are null and skipped.
extern "C" {
void openblas_set_num_threads(int n) __attribute__((weak));
}

namespace shoal::search {

namespace {

void set_blas_threads(int n) {
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
}

}  // namespace

void set_faiss_threads(int n) {
  SHOAL_ASSERT(n >= 1);
  omp_set_num_threads(n);
  set_blas_threads(n);
}

int faiss_threads() { return omp_get_max_threads(); }

ScopedFaissThreads::ScopedFaissThreads(int n) : previous_(omp_get_max_threads()) {
  SHOAL_ASSERT(n >= 1);
  if (previous_ != n) set_faiss_threads(n);
}

ScopedFaissThreads::~ScopedFaissThreads() {
  if (omp_get_max_threads() != previous_) set_faiss_threads(previous_);
}

}  // namespace shoal::search
