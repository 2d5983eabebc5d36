// bootstrap — what AWS Lambda's provided.al2023 runtime executes. A static launcher (it needs
// nothing from the system) that starts the crossunload binary next to it through the
// dynamic loader bundled in lib/, with lib/ as the only library path:
//
//   <dir>/lib/ld-linux-x86-64.so.2 --library-path <dir>/lib --argv0 <dir>/crossunload
//       <dir>/crossunload lambda [args...]
//
// Why: crossunload is built on Debian 12 (glibc 2.36) and Amazon Linux 2023 ships glibc
// 2.34; a binary linked against the newer glibc cannot run on the older one. Bundling glibc
// with its own loader makes the package independent of the system's C library (and of
// LD_LIBRARY_PATH, which Lambda sets). scripts/package-lambda builds it with `cc -static`.
//
// Debian's libcurl looks for CA certificates at /etc/ssl/certs/ca-certificates.crt, which
// Amazon Linux does not have; when AWS_CA_BUNDLE is unset the launcher points it (and
// SSL_CERT_FILE) at the first system bundle it finds.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char* const kCaBundles[] = {
    "/etc/pki/tls/certs/ca-bundle.crt",    // Amazon Linux, Fedora
    "/etc/ssl/certs/ca-certificates.crt",  // Debian, Ubuntu
    "/etc/ssl/cert.pem",
};

int main(int argc, char** argv) {
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    perror("bootstrap: readlink /proc/self/exe");
    return 127;
  }
  self[n] = '\0';
  char* slash = strrchr(self, '/');
  if (slash) *slash = '\0';

  char loader[PATH_MAX], libdir[PATH_MAX], exe[PATH_MAX];
  if (snprintf(loader, sizeof loader, "%s/lib/ld-linux-x86-64.so.2", self) >= PATH_MAX ||
      snprintf(libdir, sizeof libdir, "%s/lib", self) >= PATH_MAX ||
      snprintf(exe, sizeof exe, "%s/crossunload", self) >= PATH_MAX) {
    fprintf(stderr, "bootstrap: path too long: %s\n", self);
    return 127;
  }

  if (!getenv("AWS_CA_BUNDLE")) {
    for (size_t i = 0; i < sizeof kCaBundles / sizeof kCaBundles[0]; ++i) {
      if (access(kCaBundles[i], R_OK) == 0) {
        setenv("AWS_CA_BUNDLE", kCaBundles[i], 1);
        if (!getenv("SSL_CERT_FILE")) setenv("SSL_CERT_FILE", kCaBundles[i], 1);
        break;
      }
    }
  }

  char** args = calloc((size_t)argc + 8, sizeof(char*));
  if (!args) return 127;
  int k = 0;
  args[k++] = loader;
  args[k++] = "--library-path";
  args[k++] = libdir;
  args[k++] = "--argv0";
  args[k++] = exe;
  args[k++] = exe;
  args[k++] = "lambda";
  for (int i = 1; i < argc; ++i) args[k++] = argv[i];
  args[k] = NULL;
  execv(loader, args);
  fprintf(stderr, "bootstrap: cannot execute %s: %s\n", loader, strerror(errno));
  return 127;
}
