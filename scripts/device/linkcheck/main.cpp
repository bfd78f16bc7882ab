// Uses libtorch, then std::filesystem::remove_all: the call that jumped to address 0 in porkit
// built against torch 2.11 (docs/performance.md).
#include <ATen/ATen.h>

#include <cstdio>
#include <filesystem>

int main() {
  const float sum = at::ones({3}).sum().item<float>();
  const auto dir = std::filesystem::temp_directory_path() / "porkit-linkcheck";
  std::filesystem::create_directories(dir / "a" / "b");
  std::filesystem::remove_all(dir);
  std::printf("ok: torch sum %.0f, remove_all returned\n", sum);
  return 0;
}
