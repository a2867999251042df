// Control of the threads FAISS uses underneath the shard's vector indexes.
//
// FAISS parallelises with OpenMP and its BLAS (OpenBLAS on Debian) keeps a
// thread pool of its own. The simulator and any deterministic run call
// set_faiss_threads(1) once at start-up, before any index exists; real nodes
// may use more for searches.
//
// Results never depend on the setting: every operation whose outcome could
// depend on thread scheduling (HNSW graph construction, IVF training and
// assignment) runs inside a ScopedFaissThreads(1), and searches are issued one
// query at a time, for which FAISS computes each distance on one thread.
#pragma once

namespace shoal::search {

// Sets OpenMP's and OpenBLAS's thread counts for this process. REQUIRES: n >= 1.
void set_faiss_threads(int n);
// The OpenMP thread count FAISS will use.
int faiss_threads();

// Forces n threads for the lifetime of the object, then restores the previous
// counts. Not reentrant across threads (the counts are process-wide).
class ScopedFaissThreads {
 public:
  explicit ScopedFaissThreads(int n);
  ~ScopedFaissThreads();
  ScopedFaissThreads(const ScopedFaissThreads&) = delete;
  ScopedFaissThreads& operator=(const ScopedFaissThreads&) = delete;

 private:
  int previous_;
};

}  // namespace shoal::search
