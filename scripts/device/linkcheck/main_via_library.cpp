// As main.cpp, with the calls in a static library, as porkit's are.
#include <cstdio>
#include <filesystem>

float sum_and_remove(const std::filesystem::path& dir);

int main() {
  const float sum = sum_and_remove(std::filesystem::temp_directory_path() / "porkit-linkcheck");
  std::printf("ok: torch sum %.0f, remove_all returned\n", sum);
  return 0;
}
