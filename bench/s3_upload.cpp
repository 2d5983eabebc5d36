// Upload benchmark (not a test): streams a file into one S3 object through
// S3MultipartWriter, the way the unload sink does, and prints throughput and peak RSS as
// one JSON line. Driven by bench/s3_upload.sh, which runs it next to `aws s3 cp` of the
// same file against the same moto_server.
//
//   s3_upload ENDPOINT BUCKET KEY FILE [PART_MIB] [PARTS_IN_FLIGHT]
//
// Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (moto accepts any).
#include <fmt/format.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "aws/credentials.h"
#include "aws/s3.h"
#include "aws/s3_multipart_writer.h"
#include "base/error.h"

namespace {

long peak_rss_kib() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;  // KiB on Linux
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: %s ENDPOINT BUCKET KEY FILE [PART_MIB] [PARTS_IN_FLIGHT]\n",
                 argv[0]);
    return 2;
  }
  std::string endpoint = argv[1], bucket = argv[2], key = argv[3], file = argv[4];
  std::size_t part_mib = argc > 5 ? std::stoul(argv[5]) : 8;
  int in_flight = argc > 6 ? std::stoi(argv[6]) : 4;
  try {
    cu::aws::Credentials c;
    c.access_key_id =
        std::getenv("AWS_ACCESS_KEY_ID") ? std::getenv("AWS_ACCESS_KEY_ID") : "bench-key";
    c.secret_access_key = std::getenv("AWS_SECRET_ACCESS_KEY")
                              ? std::getenv("AWS_SECRET_ACCESS_KEY")
                              : "bench-secret-key";
    c.source = "environment";
    cu::aws::S3Client s3({.region = "us-east-1", .endpoint_url = endpoint},
                         cu::aws::static_credentials(c));
    std::ifstream in(file, std::ios::binary);
    if (!in) throw cu::Error(cu::ErrorKind::kUsage, "read", file, "cannot open");
    std::vector<char> buf(1 << 20);
    auto start = std::chrono::steady_clock::now();
    cu::aws::S3MultipartWriter out(s3, bucket, key,
                                   {.part_size = part_mib << 20, .parts_in_flight = in_flight});
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (in.gcount() > 0)
        out.write(std::string_view(buf.data(), static_cast<std::size_t>(in.gcount())));
    }
    cu::aws::UploadResult r = out.finish();
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double mib = static_cast<double>(r.bytes) / (1 << 20);
    fmt::print(
        "{{\"bytes\": {}, \"parts\": {}, \"seconds\": {:.2f}, \"mib_per_s\": {:.1f}, "
        "\"peak_rss_mib\": {:.1f}, \"part_mib\": {}, \"parts_in_flight\": {}, "
        "\"rss_target_mib\": {}}}\n",
        r.bytes, r.parts, secs, mib / secs, peak_rss_kib() / 1024.0, part_mib, in_flight,
        64 + part_mib * static_cast<std::size_t>(in_flight));
    return 0;
  } catch (const cu::Error& e) {
    std::fprintf(stderr, "s3_upload: %s\n", e.what());
    return e.exit_code();
  }
}
