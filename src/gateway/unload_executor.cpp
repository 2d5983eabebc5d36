#include "gateway/unload_executor.h"

#include <mutex>

#include "base/error.h"

namespace cu::gateway {
namespace {

std::mutex factory_mutex;

// The default until the product installs its engine (install_engine_executor).
class NoExecutor : public UnloadExecutor {
 public:
  std::uint64_t execute(std::string_view, const SessionInfo&, UpstreamSession&) override {
    throw Error(ErrorKind::kUsage, "unload", "gateway",
                "this gateway has no UNLOAD executor installed")
        .with_hint(
            "`crossunload gateway` installs the output engine; a program embedding the "
            "gateway calls gateway::install_engine_executor() or set_executor_factory()");
  }
};

std::unique_ptr<UnloadExecutor> no_executor() { return std::make_unique<NoExecutor>(); }

UnloadExecutorFactory& factory() {
  static UnloadExecutorFactory f = no_executor;
  return f;
}

}  // namespace

void set_executor_factory(UnloadExecutorFactory f) {
  std::lock_guard lock(factory_mutex);
  factory() = f ? std::move(f) : UnloadExecutorFactory(no_executor);
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
