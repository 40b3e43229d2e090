#include "storage/conformance/backend_conformance.h"
#include "storage/memory/memory_backend.h"

namespace kubepp::storage {
namespace {

INSTANTIATE_TEST_SUITE_P(Memory, BackendConformanceTest,
                         ::testing::Values(BackendFactory{
                             "memory", [] { return std::make_unique<MemoryBackend>(); }}),
                         BackendFactoryName);

}  // namespace
}  // namespace kubepp::storage
