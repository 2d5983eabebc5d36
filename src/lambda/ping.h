#pragma once
// A health check for the deployed function: an event {"ping": true} is answered by the
// runtime itself (version, request id, trace id, time left) without touching AWS or the
// database, so `aws lambda invoke --payload '{"ping":true}'` proves the package starts and
// the runtime loop works before any job is run. Every other event goes to `job`.
//
//   runtime.run(cu::lambda::with_ping(job_handler));

#include "lambda/runtime.h"

namespace cu::lambda {

Handler with_ping(Handler job);

}  // namespace cu::lambda
