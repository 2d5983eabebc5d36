#pragma once
// render(spec): the UNLOAD statement we send to a real Redshift (server mode). One canonical
// text: keywords upper case, options separated by single spaces in a fixed order, every
// quoted argument escaped per docs/redshift-unload.md#s2.2 (backslash doubled, then quote doubled),
// sizes in the shortest exact `<decimal> MB|GB`. parse(render(s)) == s for every spec.
//
//   UNLOAD ('select * from venue where venuestate = ''NV''') TO 's3://b/venue_'
//   IAM_ROLE 'arn:aws:iam::111111111111:role/A' FORMAT AS CSV HEADER GZIP
//   (one line in reality)
//
// render() does not validate; call validate() first. It includes credentials verbatim
// when the authorization uses keys: use render_redacted() for logs and reports.

#include <string>

#include "unload/unload_spec.h"

namespace cu::unload {

std::string render(const UnloadSpec& spec);

// Same text with SECRET_ACCESS_KEY, SESSION_TOKEN, MASTER_SYMMETRIC_KEY and the secret
// parts of a CREDENTIALS string replaced by '***' (for reports, logs and --dry-run).
std::string render_redacted(const UnloadSpec& spec);

}  // namespace cu::unload
