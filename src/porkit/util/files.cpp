#include "porkit/util/files.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <random>

#include "porkit/util/error.h"

namespace porkit {

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) fail("expected a file but {} is a folder", path.string());
  // A FIFO, socket or device would block or never end: porkit reads regular files only.
  const auto status = fs::status(path, ec);
  if (fs::exists(status) && !fs::is_regular_file(status))
    fail("expected a regular file but {} is a {}", path.string(),
         fs::is_fifo(status) ? "FIFO" : fs::is_socket(status) ? "socket" : "device or special file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open {}: {}", path.string(), std::strerror(errno));
  // Read to the end rather than trusting the size the file system reports: files under /proc
  // report 0 bytes and still have content.
  std::string data;
  const auto size = fs::file_size(path, ec);
  if (!ec) data.reserve(static_cast<size_t>(size));
  char buffer[1 << 16];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) data.append(buffer, static_cast<size_t>(in.gcount()));
  if (in.bad()) fail("cannot read {}", path.string());
  return data;
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  if (path.has_parent_path()) fs::create_directories(path.parent_path());
  std::random_device rd;
  fs::path tmp = path;
  tmp += fmt::format(".tmp{:08x}", rd());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) fail("cannot create {}: {}", tmp.string(), std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("cannot write {}: {}", tmp.string(), std::strerror(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot flush {}", tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    ::unlink(tmp.c_str());
    fail("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message());
  }
}

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  std::string hex;
  hex.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", digest[i]);
  return hex;
}

std::string sha256_file(const fs::path& path) { return sha256_hex(read_file(path)); }

std::string content_digest(const fs::path& path) {
  std::error_code ec;
  check(fs::exists(path, ec), "cannot take the content hash of {}: it does not exist", path.string());
  if (!fs::is_directory(path)) return sha256_file(path);
  std::vector<std::pair<std::string, fs::path>> files;
  for (auto it = fs::recursive_directory_iterator(path); it != fs::recursive_directory_iterator(); ++it) {
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file()) files.emplace_back(fs::relative(it->path(), path).generic_string(), it->path());
  }
  std::sort(files.begin(), files.end());
  std::string listing;
  for (const auto& [relative, full] : files) listing += relative + "\t" + sha256_file(full) + "\n";
  return sha256_hex(listing);
}

void require_exists(const fs::path& path, std::string_view what) {
  std::error_code ec;
  if (!fs::exists(path, ec)) fail("{} not found: {}", what, path.string());
}

}  // namespace porkit
