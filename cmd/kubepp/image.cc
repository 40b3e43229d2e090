// `kubepp image`: node images built from local content (nodes here have no registry access).
//
//   kubepp image build [--output DIR] [--pause-binary PATH] [--busybox PATH] [pause|busybox|all]
//
// writes pause.tar (localhost/pause:kubepp) and/or busybox.tar (localhost/busybox:1.35), each
// importable with `ctr -n k8s.io images import`, and prints each image's name and digests.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>

#include "cluster/image/oci_image.h"
#include "cmd/kubepp/roles.h"

namespace kubepp::cmd {
namespace {

namespace image = cluster::image;

// The directory of the running kubepp binary, where the build puts kubepp-pause.
std::string SelfDir() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

// Writes one image to dir/file and prints its name and digests; false on failure.
bool Build(const Result<image::ImageSpec>& spec, const std::string& dir, const std::string& file) {
  if (!spec.IsOk()) {
    std::fprintf(stderr, "kubepp image build: %s\n", spec.status().ToString().c_str());
    return false;
  }
  std::string out = (std::filesystem::path(dir) / file).string();
  auto digests = image::WriteImageArchive(*spec, out);
  if (!digests.IsOk()) {
    std::fprintf(stderr, "kubepp image build %s: %s\n", spec->name.c_str(),
                 digests.status().ToString().c_str());
    return false;
  }
  std::printf("%s\t%s\tmanifest %s\tconfig %s\n", spec->name.c_str(), out.c_str(),
              digests->manifest.c_str(), digests->config.c_str());
  return true;
}

}  // namespace

int ImageMain(int argc, char** argv) {
  CLI::App app{"kubepp image: build node images from local content", "kubepp image"};
  app.require_subcommand(1);
  auto* build = app.add_subcommand(
      "build", "write OCI image archives (pause.tar, busybox.tar) for `ctr images import`");
  std::string output = ".";
  std::string pause_binary;
  std::string busybox = "/bin/busybox";
  std::string which = "all";
  build->add_option("--output,-o", output, "The directory to write the archives to")
      ->capture_default_str();
  build->add_option("--pause-binary", pause_binary,
                    "The kubepp-pause program to pack (default: next to this kubepp binary)");
  build->add_option("--busybox", busybox, "A static busybox to pack")->capture_default_str();
  build->add_option("image", which, "Which image to build")
      ->check(CLI::IsMember({"pause", "busybox", "all"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::error_code ec;
  std::filesystem::create_directories(output, ec);
  if (ec) {
    std::fprintf(stderr, "kubepp image build: cannot create %s: %s\n", output.c_str(),
                 ec.message().c_str());
    return 1;
  }
  if (pause_binary.empty()) pause_binary = SelfDir() + "/kubepp-pause";
  bool ok = true;
  if (which == "pause" || which == "all") {
    if (::access(pause_binary.c_str(), R_OK) != 0) {
      std::fprintf(stderr, "kubepp image build: no pause program at %s (see --pause-binary)\n",
                   pause_binary.c_str());
      ok = false;
    } else {
      ok = Build(image::PauseImage(pause_binary), output, "pause.tar") && ok;
    }
  }
  if (which == "busybox" || which == "all") {
    ok = Build(image::BusyboxImage(busybox), output, "busybox.tar") && ok;
  }
  return ok ? 0 : 1;
}

}  // namespace kubepp::cmd
