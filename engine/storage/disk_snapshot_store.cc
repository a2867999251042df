#include "engine/storage/disk_snapshot_store.h"

#include "absl/strings/str_cat.h"

namespace shoal {
namespace {

namespace sf = snapshot_format;

std::string as_directory(std::string dir) {
  if (!dir.empty() && dir.back() != '/') dir.push_back('/');
  return dir;
}

}  // namespace

DiskSnapshotStore::DiskSnapshotStore(Env& env, std::string dir, DiskSnapshotOptions options)
    : env_(env), dir_(as_directory(std::move(dir))), options_(options) {}

DiskSnapshotStore::~DiskSnapshotStore() = default;

// ---- opening -------------------------------------------------------------------

absl::StatusOr<std::unique_ptr<DiskSnapshotStore>> DiskSnapshotStore::open_dir(
    Env& env, std::string dir, DiskSnapshotOptions options, RecoveryReport* report) {
  if (options.chunk_bytes == 0 || options.chunk_bytes > kMaxSnapshotChunkBytes) {
    return absl::InvalidArgumentError("snapshot chunk_bytes outside (0, kMaxSnapshotChunkBytes]");
  }
  RecoveryReport local;
  RecoveryReport& r = report != nullptr ? *report : local;
  r = RecoveryReport{};
  std::unique_ptr<DiskSnapshotStore> store(new DiskSnapshotStore(env, std::move(dir), options));
  if (auto st = store->recover(r); !st.ok()) {
    env.log(LogLevel::kError, "storage",
            absl::StrCat("snapshot store in ", store->dir_, " refused: ", st.ToString()));
    return st;
  }
  return store;
}

absl::Status DiskSnapshotStore::recover(RecoveryReport& report) {
  Disk& disk = env_.disk();
  // Temporaries were never renamed into place, so nobody was promised them.
  for (const std::string& tmp : {save_tmp_path(), recv_tmp_path()}) {
    if (!disk.exists(tmp)) continue;
    if (auto st = disk.remove(tmp); !st.ok()) return st;
    report.removed_files.push_back(tmp);
  }
  const std::string path = snapshot_path();
  if (!disk.exists(path)) return absl::OkStatus();
  auto opened = disk.open(path, /*create=*/false);
  if (!opened.ok()) return opened.status();
  auto unframed = read_verified(**opened, path, &report.rereads);
  if (!unframed.ok()) return unframed.status();
  if (!unframed->ok) {
    report.corruption = Corruption{path, unframed->damage_offset, unframed->reason};
    return fail_corrupt(*report.corruption);
  }
  auto meta = sf::decode_image_meta(unframed->image);
  if (!meta.ok()) {
    report.corruption = Corruption{path, 0, std::string(meta.status().message())};
    return fail_corrupt(*report.corruption);
  }
  latest_ = SnapshotInfo{std::move(*meta), unframed->image.size(), unframed->chunk_count};
  layout_ = Layout{unframed->chunk_bytes, (*opened)->size()};
  latest_file_ = std::move(*opened);
  return absl::OkStatus();
}

absl::StatusOr<sf::Unframed> DiskSnapshotStore::read_verified(const File& file,
                                                              const std::string& path,
                                                              uint64_t* rereads) {
  sf::Unframed unframed;
  auto bytes = read_stably([&file] { return file.read_all(); },
                           [&unframed](std::string_view b) {
                             unframed = sf::unframe(b);
                             return unframed.ok;
                           },
                           path, rereads);
  if (!bytes.ok()) return bytes.status();
  return unframed;
}

absl::Status DiskSnapshotStore::fail_corrupt(Corruption c) {
  status_ = corruption_error(c);
  env_.log(LogLevel::kError, "storage", status_.ToString());
  return status_;
}

// ---- reading ------------------------------------------------------------------

absl::StatusOr<Snapshot> DiskSnapshotStore::load() {
  if (!status_.ok()) return status_;
  if (!latest_) return absl::NotFoundError("no snapshot");
  auto unframed = read_verified(*latest_file_, snapshot_path(), &rereads_);
  if (!unframed.ok()) return unframed.status();
  if (!unframed->ok) {
    return fail_corrupt(Corruption{snapshot_path(), unframed->damage_offset, unframed->reason});
  }
  auto snapshot = sf::decode_image(unframed->image);
  if (!snapshot.ok() || snapshot->meta != latest_->meta) {
    return fail_corrupt(Corruption{snapshot_path(), 0, "snapshot changed under the store"});
  }
  return snapshot;
}

absl::StatusOr<std::string> DiskSnapshotStore::read_chunk(uint64_t chunk) {
  if (!status_.ok()) return status_;
  if (!latest_ || chunk >= latest_->chunk_count) {
    return absl::OutOfRangeError(absl::StrCat("no chunk ", chunk, " in the latest snapshot"));
  }
  const uint64_t c = layout_.chunk_bytes;
  const uint64_t offset = chunk * (sf::kFrameHeaderBytes + c);
  const uint64_t len = chunk + 1 == latest_->chunk_count ? latest_->image_bytes - chunk * c : c;
  std::string_view data;
  auto bytes = read_stably([&] { return latest_file_->read(offset, sf::kFrameHeaderBytes + len); },
                           [&](std::string_view b) { return sf::parse_frame(b, len, &data); },
                           snapshot_path(), &rereads_);
  if (!bytes.ok()) return bytes.status();
  if (!sf::parse_frame(*bytes, len, &data)) {
    return fail_corrupt(Corruption{snapshot_path(), offset, "chunk checksum mismatch"});
  }
  return std::string(data);
}

// ---- writing: temporary, sync, rename -----------------------------------------

absl::Status DiskSnapshotStore::save(SnapshotMeta meta, std::string state, StorageCallback done) {
  if (!status_.ok()) return status_;
  if (saving_) return absl::UnavailableError("a snapshot save is already in progress");
  if (latest_ && meta.index <= latest_->meta.index) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot at ", meta.index, " is not newer than the latest, at ", latest_->meta.index));
  }
  if (meta.config.size() > kMaxSnapshotConfigBytes) {
    return absl::InvalidArgumentError("snapshot config exceeds kMaxSnapshotConfigBytes");
  }
  std::string image = sf::encode_image(meta, state);
  state.clear();
  if (image.size() > kMaxSnapshotBytes) {
    return absl::ResourceExhaustedError("snapshot image exceeds kMaxSnapshotBytes");
  }
  const std::string framed = sf::frame_image(image, options_.chunk_bytes);
  auto opened = env_.disk().open(save_tmp_path(), /*create=*/true);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<File> file = std::move(*opened);
  absl::Status written = file->truncate(0);
  if (written.ok()) written = file->append(framed);
  if (!written.ok()) {
    // Leave no half-written temporary taking space on a full disk.
    env_.disk().remove(save_tmp_path()).IgnoreError();
    return written;
  }
  saving_ = true;
  SnapshotInfo info{std::move(meta), image.size(),
                    sf::chunk_count(image.size(), options_.chunk_bytes)};
  commit(std::move(file), save_tmp_path(), &saving_, std::move(info),
         Layout{options_.chunk_bytes, framed.size()}, std::move(done));
  return absl::OkStatus();
}

void DiskSnapshotStore::commit(std::shared_ptr<File> file, std::string tmp, bool* busy,
                               SnapshotInfo info, Layout layout, StorageCallback done) {
  std::weak_ptr<bool> alive = alive_;
  File* raw = file.get();
  raw->sync([this, alive, file = std::move(file), tmp = std::move(tmp), busy,
             info = std::move(info), layout, done = std::move(done)](absl::Status synced) mutable {
    if (alive.expired()) return;
    *busy = false;
    if (synced.ok()) synced = replace_latest(tmp, std::move(info), layout);
    if (!synced.ok()) env_.disk().remove(tmp).IgnoreError();
    if (done) done(std::move(synced));
  });
}

absl::Status DiskSnapshotStore::replace_latest(const std::string& tmp, SnapshotInfo info,
                                               Layout layout) {
  if (!status_.ok()) return status_;
  // A save and an install may race; the newer snapshot wins whichever lands last.
  if (latest_ && info.meta.index <= latest_->meta.index) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot at ", info.meta.index, " was overtaken by one at ", latest_->meta.index));
  }
  if (auto st = env_.disk().rename(tmp, snapshot_path()); !st.ok()) return st;
  auto opened = env_.disk().open(snapshot_path(), /*create=*/false);
  if (!opened.ok()) return opened.status();
  latest_file_ = std::move(*opened);
  latest_ = std::move(info);
  layout_ = layout;
  return absl::OkStatus();
}

// ---- receiving ----------------------------------------------------------------

absl::Status DiskSnapshotStore::begin_install(uint64_t index, uint64_t term, uint64_t chunk_count) {
  if (!status_.ok()) return status_;
  if (latest_ && index <= latest_->meta.index) {
    return absl::FailedPreconditionError(
        absl::StrCat("install at ", index, " is stale: latest is ", latest_->meta.index));
  }
  if (chunk_count == 0 || chunk_count > kMaxSnapshotChunks) {
    return absl::InvalidArgumentError(absl::StrCat("install of ", chunk_count, " chunks"));
  }
  if (install_committing_) {
    return absl::UnavailableError("the previous install is still being made durable");
  }
  abort_install();
  auto opened = env_.disk().open(recv_tmp_path(), /*create=*/true);
  if (!opened.ok()) return opened.status();
  if (auto st = (*opened)->truncate(0); !st.ok()) return st;
  install_.emplace(Install{sf::ChunkAssembly(index, term, chunk_count), std::move(*opened)});
  return absl::OkStatus();
}

absl::Status DiskSnapshotStore::install_chunk(uint64_t chunk, std::string_view data) {
  if (!status_.ok()) return status_;
  if (!install_) return absl::FailedPreconditionError("no snapshot install is open");
  auto verdict = install_->assembly.check(chunk, data);
  if (!verdict.ok()) return verdict.status();
  if (*verdict == sf::ChunkAssembly::Verdict::kRepeat) return absl::OkStatus();
  std::string frame;
  sf::append_frame(&frame, data);
  if (auto st = install_->file->append(frame); !st.ok()) {
    abort_install();
    return st;
  }
  install_->assembly.took(data.size());
  return absl::OkStatus();
}

absl::Status DiskSnapshotStore::finish_install(StorageCallback done) {
  if (!status_.ok()) return status_;
  if (!install_) return absl::FailedPreconditionError("no snapshot install is open");
  if (!install_->assembly.complete()) {
    return absl::FailedPreconditionError(
        absl::StrCat("install is missing chunks from ", install_->assembly.next()));
  }
  // Read back what was written: this checks the sender's image end to end and
  // this disk's copy of it before anything depends on it.
  auto unframed = read_verified(*install_->file, recv_tmp_path(), &rereads_);
  absl::Status verified = unframed.status();
  if (verified.ok() && !unframed->ok) {
    verified = absl::DataLossError(absl::StrCat("received snapshot fails verification at offset ",
                                                unframed->damage_offset, ": ", unframed->reason));
  }
  absl::StatusOr<SnapshotMeta> meta;
  if (verified.ok()) meta = sf::decode_image_meta(unframed->image);
  if (verified.ok()) verified = meta.status();
  if (verified.ok()) verified = install_->assembly.matches(*meta);
  if (!verified.ok()) {
    abort_install();
    return verified;
  }
  SnapshotInfo info{std::move(*meta), unframed->image.size(), unframed->chunk_count};
  const Layout layout{unframed->chunk_bytes, install_->file->size()};
  std::shared_ptr<File> file = std::move(install_->file);
  install_.reset();
  install_committing_ = true;
  commit(std::move(file), recv_tmp_path(), &install_committing_, std::move(info), layout,
         std::move(done));
  return absl::OkStatus();
}

void DiskSnapshotStore::abort_install() {
  if (!install_) return;
  install_.reset();
  env_.disk().remove(recv_tmp_path()).IgnoreError();
}

}  // namespace shoal
