#include "cluster/image/testing/tar_reader.h"

#include <archive.h>
#include <archive_entry.h>

#include <memory>

namespace kubepp::cluster::image::testing {

Result<TarContents> ReadTar(std::string_view bytes) {
  std::unique_ptr<archive, int (*)(archive*)> a(archive_read_new(), &archive_read_free);
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return Status::Invalid(std::string("open tar: ") + archive_error_string(a.get()));
  }
  TarContents out;
  archive_entry* e = nullptr;
  while (true) {
    int rc = archive_read_next_header(a.get(), &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK) {
      return Status::Invalid(std::string("read tar: ") + archive_error_string(a.get()));
    }
    std::string path = archive_entry_pathname(e);
    if (!path.empty() && path.back() == '/') path.pop_back();
    TarEntry t;
    switch (archive_entry_filetype(e)) {
      case AE_IFREG:
        t.type = EntryType::kFile;
        break;
      case AE_IFDIR:
        t.type = EntryType::kDirectory;
        break;
      case AE_IFLNK:
        t.type = EntryType::kSymlink;
        t.link_target = archive_entry_symlink(e);
        break;
      default:
        return Status::Invalid("unexpected entry type at " + path);
    }
    t.mode = archive_entry_perm(e);
    t.uid = archive_entry_uid(e);
    t.gid = archive_entry_gid(e);
    t.mtime = archive_entry_mtime(e);
    if (t.type == EntryType::kFile) {
      t.data.resize(static_cast<size_t>(archive_entry_size(e)));
      if (!t.data.empty() && archive_read_data(a.get(), t.data.data(), t.data.size()) !=
                                 static_cast<la_ssize_t>(t.data.size())) {
        return Status::Invalid("short read of " + path);
      }
    }
    out.order.push_back(path);
    if (!out.entries.emplace(path, std::move(t)).second) {
      return Status::Invalid("duplicate entry " + path);
    }
  }
  return out;
}

}  // namespace kubepp::cluster::image::testing
