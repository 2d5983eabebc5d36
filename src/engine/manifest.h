#pragma once
// engine::manifest_json — the bytes of an UNLOAD manifest (docs/redshift-unload.md#s6,
// docs/formats.md "Manifest") for the files of a run: Redshift's documented layout, one entry per
// line; VERBOSE adds record counts, the schema, totals and the author.
//
//   std::string body = manifest_json(files, columns, /*verbose=*/true, /*header=*/false);

#include <string>
#include <vector>

#include "engine/file_stream.h"
#include "pg/copy_source.h"

namespace cu::engine {

// `columns` is used by MANIFEST VERBOSE; `header` counts a header line per file.
std::string manifest_json(const std::vector<UnloadedFile>& files,
                          const std::vector<pg::SourceColumn>& columns, bool verbose, bool header);

}  // namespace cu::engine
