// The storage workloads against the in-memory backend: the cost of the interface and the
// workload harness alone, a floor for the real backends.
#include "storage/memory/memory_backend.h"
#include "storage_workload.h"

int main(int argc, char** argv) {
  kubepp::bench::SuiteOptions options;
  if (!kubepp::bench::ParseSuiteFlags(argc, argv, options)) return 2;
  kubepp::bench::RunStandardSuite(
      "memory", [] { return std::make_unique<kubepp::storage::MemoryBackend>(); }, options);
  return 0;
}
