// CLI11 reads an argument written "[a,b]" as a list and splits it ("[MASK]" became "MASK").
// porkit never wants that: texts such as "[MASK] is here" or "[a,b]" are data. main() hides
// every such argument from CLI11 behind a placeholder and every option callback hands the
// original back, byte for byte.
#pragma once
#include <string>
#include <vector>

namespace porkit::cli {

// Replaces each argument that starts with '[' and ends with ']' by a placeholder; returns
// the new argv strings (argv[0] included).
std::vector<std::string> guard_bracketed_arguments(int argc, char** argv);

// The original text of a placeholder; any other text unchanged.
const std::string& original_argument(const std::string& text);

}  // namespace porkit::cli
