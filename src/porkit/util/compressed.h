// Reading text that may be xz-compressed (corpus-large ships as NAME.txt.xz): the file's
// extension decides, and an .xz file is decoded in memory with liblzma.
#pragma once
#include <filesystem>
#include <string>

namespace porkit {

// The bytes of `path`, decompressed when its name ends in ".xz". A corrupt or truncated
// stream is an error naming the file.
std::string read_maybe_compressed(const std::filesystem::path& path);

// The name a compressed file stands for: "wiki_00.txt.xz" -> "wiki_00.txt".
std::filesystem::path uncompressed_name(const std::filesystem::path& path);

}  // namespace porkit
