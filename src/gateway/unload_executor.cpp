#include "gateway/unload_executor.h"

#include "base/error.h"

namespace cu::gateway {
namespace {

class RefusingExecutor : public UnloadExecutor {
 public:
  std::uint64_t execute(std::string_view, const SessionInfo&, UpstreamSession&) override {
    throw Error(ErrorKind::kUsage, "unload", "gateway",
                "this gateway has no UNLOAD executor installed")
        .with_hint(
            "`crossunload gateway` runs UNLOAD with the output engine; a program embedding "
            "the gateway passes GatewayOptions::executors (e.g. engine_executor_factory())");
  }
};

}  // namespace

std::unique_ptr<UnloadExecutor> refusing_executor() { return std::make_unique<RefusingExecutor>(); }

}  // namespace cu::gateway
