#include "gateway/unload_executor.h"

#include <mutex>

#include "gateway/folder_executor.h"

namespace cu::gateway {
namespace {

std::mutex factory_mutex;

std::unique_ptr<UnloadExecutor> folder_executor() {
  return std::make_unique<FolderUnloadExecutor>();
}

UnloadExecutorFactory& factory() {
  static UnloadExecutorFactory f = folder_executor;
  return f;
}

}  // namespace

void set_executor_factory(UnloadExecutorFactory f) {
  std::lock_guard lock(factory_mutex);
  factory() = f ? std::move(f) : UnloadExecutorFactory(folder_executor);
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
