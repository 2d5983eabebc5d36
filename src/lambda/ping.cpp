#include "lambda/ping.h"

#include "base/version.h"

namespace cu::lambda {

Handler with_ping(Handler job) {
  return [job = std::move(job)](const Invocation& inv) -> nlohmann::json {
    if (inv.event.is_object() && inv.event.size() == 1 && inv.event.value("ping", false)) {
      return {{"pong", true},
              {"version", kVersion},
              {"request_id", inv.request_id},
              {"trace_id", inv.trace_id},
              {"remaining_ms", inv.remaining().count()}};
    }
    return job(inv);
  };
}

}  // namespace cu::lambda
