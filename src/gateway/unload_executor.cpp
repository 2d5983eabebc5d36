#include "gateway/unload_executor.h"

#include <mutex>

#include "gateway/folder_executor.h"

namespace cu::gateway {
namespace {

std::mutex factory_mutex;

UnloadExecutorFactory& factory() {
  static UnloadExecutorFactory f = [] { return std::make_unique<FolderUnloadExecutor>(); };
  return f;
}

}  // namespace

void set_executor_factory(UnloadExecutorFactory f) {
  std::lock_guard lock(factory_mutex);
  factory() = std::move(f);
}

std::unique_ptr<UnloadExecutor> make_executor() {
  UnloadExecutorFactory f;
  {
    std::lock_guard lock(factory_mutex);
    f = factory();
  }
  return f();
}

}  // namespace cu::gateway
