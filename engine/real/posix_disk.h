// PosixDisk: the real Disk, a directory of files.
//
// Writes go to the OS with pwrite; sync() runs fdatasync and posts its
// completion to the event loop, so the callback never runs inside the call.
// create, rename and remove fsync the parent directory before returning, which
// is what makes them durable as the Disk contract promises.
#pragma once

#include <boost/asio/io_context.hpp>
#include <string>

#include "engine/env/disk.h"

namespace shoal::real {

class PosixDisk final : public Disk {
 public:
  // Creates root when missing. Throws std::runtime_error when it cannot.
  PosixDisk(boost::asio::io_context& io, std::string root);

  absl::StatusOr<std::unique_ptr<File>> open(const std::string& path, bool create) override;
  bool exists(const std::string& path) const override;
  absl::Status rename(const std::string& from, const std::string& to) override;
  absl::Status remove(const std::string& path) override;
  std::vector<std::string> list(const std::string& prefix) const override;

 private:
  std::string full(const std::string& path) const { return root_ + "/" + path; }
  absl::Status sync_dir_of(const std::string& full_path) const;

  boost::asio::io_context& io_;
  std::string root_;
};

}  // namespace shoal::real
