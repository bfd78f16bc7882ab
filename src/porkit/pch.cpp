// Compiled only to produce the precompiled header (see CMakeLists.txt).
