// File helpers: whole-file reads with clear errors, atomic writes, SHA-256.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace porkit {

namespace fs = std::filesystem;

// Reads a whole file; throws porkit::Error naming the path when it cannot.
std::string read_file(const fs::path& path);

// Writes `bytes` to `path` atomically: a temporary file in the same folder, fsync, rename.
// A reader never sees a half-written file, even if the process is killed.
void write_file_atomic(const fs::path& path, std::string_view bytes);

// Lower-case hex SHA-256 of bytes / of a file's content.
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const fs::path& path);

// What a file or folder holds, as one SHA-256: a file's content hash; for a folder, the hash of
// every regular file's relative path and content hash, sorted by path, skipping hidden files
// (porkit's markers, staging folders). The same bytes in another place give the same digest.
std::string content_digest(const fs::path& path);

// Throws when `path` does not exist, with a hint naming what it should be.
void require_exists(const fs::path& path, std::string_view what);

}  // namespace porkit
