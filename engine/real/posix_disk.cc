#include "engine/real/posix_disk.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <boost/asio/post.hpp>

namespace shoal::real {
namespace fs = std::filesystem;

namespace {

absl::Status errno_status(const std::string& what, int err) {
  const std::string text = what + ": " + std::strerror(err);
  if (err == ENOSPC) return absl::ResourceExhaustedError(text);
  if (err == ENOENT) return absl::NotFoundError(text);
  return absl::InternalError(text);
}

class PosixFile final : public File {
 public:
  PosixFile(boost::asio::io_context& io, int fd, std::string name)
      : io_(io), fd_(fd), name_(std::move(name)) {
    struct stat st {};
    if (::fstat(fd_, &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
  }
  ~PosixFile() override { ::close(fd_); }

  uint64_t size() const override { return size_; }

  absl::Status write(uint64_t offset, std::string_view data) override {
    if (offset > size_) return absl::OutOfRangeError("write past the end of " + name_);
    size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                                 static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno_status("write " + name_, errno);
      }
      done += static_cast<size_t>(n);
    }
    size_ = std::max<uint64_t>(size_, offset + data.size());
    return absl::OkStatus();
  }

  absl::Status append(std::string_view data) override { return write(size_, data); }

  absl::Status truncate(uint64_t new_size) override {
    if (::ftruncate(fd_, static_cast<off_t>(new_size)) != 0) {
      return errno_status("truncate " + name_, errno);
    }
    size_ = new_size;
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> read(uint64_t offset, uint64_t n) const override {
    if (offset > size_) return absl::OutOfRangeError("read past the end of " + name_);
    std::string out(std::min<uint64_t>(n, size_ - offset), '\0');
    size_t done = 0;
    while (done < out.size()) {
      const ssize_t r = ::pread(fd_, out.data() + done, out.size() - done,
                                static_cast<off_t>(offset + done));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return errno_status("read " + name_, errno);
      if (r == 0) break;
      done += static_cast<size_t>(r);
    }
    out.resize(done);
    return out;
  }

  void sync(SyncCallback done) override {
    // fdatasync blocks this loop for the device's flush; a node's loop has
    // nothing better to do than wait for its own durability.
    absl::Status st = absl::OkStatus();
    if (::fdatasync(fd_) != 0) st = errno_status("fdatasync " + name_, errno);
    boost::asio::post(io_, [done = std::move(done), st] { done(st); });
  }

 private:
  boost::asio::io_context& io_;
  int fd_;
  std::string name_;
  uint64_t size_ = 0;
};

}  // namespace

PosixDisk::PosixDisk(boost::asio::io_context& io, std::string root) : io_(io), root_(std::move(root)) {
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) throw std::runtime_error("cannot create data directory " + root_ + ": " + ec.message());
  if (!fs::is_directory(root_, ec)) throw std::runtime_error("data directory " + root_ + " is not a directory");
  // Say so now, naming the directory, rather than fail the first open later
  // with whatever error the missing subdirectory gives.
  if (::access(root_.c_str(), R_OK | W_OK | X_OK) != 0) {
    throw std::runtime_error("data directory " + root_ + " is not writable: " + std::strerror(errno));
  }
}

absl::Status PosixDisk::sync_dir_of(const std::string& full_path) const {
  const std::string dir = fs::path(full_path).parent_path().string();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return errno_status("open directory " + dir, errno);
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  return rc == 0 ? absl::OkStatus() : errno_status("fsync directory " + dir, err);
}

absl::StatusOr<std::unique_ptr<File>> PosixDisk::open(const std::string& path, bool create) {
  const std::string f = full(path);
  std::error_code ec;
  const bool existed = fs::exists(f, ec);
  if (create) {
    fs::create_directories(fs::path(f).parent_path(), ec);
    if (ec) return absl::PermissionDeniedError("create directory for " + path + ": " + ec.message());
  }
  const int fd = ::open(f.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
  if (fd < 0) return errno_status("open " + path, errno);
  if (create && !existed) {
    if (auto st = sync_dir_of(f); !st.ok()) {
      ::close(fd);
      return st;
    }
  }
  return std::unique_ptr<File>(new PosixFile(io_, fd, path));
}

bool PosixDisk::exists(const std::string& path) const {
  std::error_code ec;
  return fs::is_regular_file(full(path), ec);
}

absl::Status PosixDisk::rename(const std::string& from, const std::string& to) {
  const std::string t = full(to);
  std::error_code ec;
  fs::create_directories(fs::path(t).parent_path(), ec);
  if (::rename(full(from).c_str(), t.c_str()) != 0) return errno_status("rename " + from, errno);
  return sync_dir_of(t);
}

absl::Status PosixDisk::remove(const std::string& path) {
  const std::string f = full(path);
  if (::unlink(f.c_str()) != 0) return errno_status("remove " + path, errno);
  return sync_dir_of(f);
}

std::vector<std::string> PosixDisk::list(const std::string& prefix) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root_, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string rel = fs::relative(it->path(), root_).generic_string();
    if (rel.compare(0, prefix.size(), prefix) == 0) out.push_back(std::move(rel));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace shoal::real
