// Where porkit's shipped files (models/, data/, recipes/) are: $PORKIT_HOME when set,
// else the source tree above the running binary (build/porkit -> repository root),
// else the current folder.
#pragma once
#include <filesystem>

namespace porkit {

std::filesystem::path porkit_home();

}  // namespace porkit
