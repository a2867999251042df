#include "engine/env/disk.h"

namespace shoal {

void write_file_atomically(Disk& disk, const std::string& path, std::string content,
                           SyncCallback done) {
  const std::string tmp = path + ".tmp";
  auto opened = disk.open(tmp, /*create=*/true);
  if (!opened.ok()) return done(opened.status());
  std::unique_ptr<File> file = std::move(*opened);
  absl::Status st = file->truncate(0);
  if (st.ok()) st = file->append(content);
  if (!st.ok()) return done(st);
  File* raw = file.get();
  // The file object must live until its sync completes; the callback owns it.
  raw->sync([&disk, path, tmp, file = std::shared_ptr<File>(std::move(file)),
             done = std::move(done)](absl::Status synced) {
    if (!synced.ok()) return done(synced);
    done(disk.rename(tmp, path));
  });
}

}  // namespace shoal
