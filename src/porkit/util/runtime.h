// Process-wide runtime settings: BLAS kernel selection, thread count, denormals,
// and what the CPU can do fast (bf16). Called once at the start of every binary.
#pragma once
#include <string>

namespace porkit {

// OpenBLAS 0.3.21 mis-detects recent Intel CPUs and falls back to SSE3 kernels; it reads
// OPENBLAS_CORETYPE in a library constructor, before main. If the variable is unset and the
// CPU has the AVX-512 subsets SkylakeX kernels need, this sets it and re-executes the
// binary once (argv unchanged). A value already in the environment is always respected.
void reexec_with_blas_coretype_if_needed(int argc, char** argv);

// Thread count (0 = all cores), flush-denormals on. Idempotent.
void configure_runtime(int threads = 0);

// True when the CPU has native bf16 matrix units (AVX512_BF16 or AMX-BF16): only then is
// bf16 autocast faster than fp32. On other CPUs bf16 is emulated and ~15x slower.
bool cpu_has_fast_bf16();

// One line naming the CPU model, its relevant flags and the thread count, for run records.
std::string describe_machine();

// Physical memory of the machine in bytes (0 when unknown).
double physical_memory_bytes();

// True when PORKIT_QUIET is set (tests, CI): progress output is suppressed.
bool quiet_mode();

// An integer from the environment (torchrun's RANK, LOCAL_RANK, ...): `fallback` when unset
// or empty; a porkit::Error naming the variable when it is not a whole integer.
long env_integer(const char* name, long fallback);

}  // namespace porkit
