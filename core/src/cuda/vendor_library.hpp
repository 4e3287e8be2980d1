#pragma once
// A CUDA toolkit library (cuFFT, cuBLAS) that the GPU backend opens at its first use (dlopen)
// instead of linking: a process that never transforms or multiplies on the GPU (the CPU backend,
// twinsim check) then does not map them, about 0.9 GiB of address space for cuBLAS, cuBLASLt and
// cuFFT of CUDA 13, which made the CPU path fail under `ulimit -v` limits of batch systems.
// Each user keeps a table of the functions it calls (fft_cufft.cu, blas_cublas.cu). Plain C++.
#include <string>

namespace twinsim::core::detail {

class VendorLibrary {
 public:
  // Opens `soname` ("libcufft.so.12") where the loader finds it (LD_LIBRARY_PATH, the
  // executable's RPATH, ld.so.cache), else in the CUDA toolkit's library folder of the build.
  // Found nowhere: throws core::Error naming `what` ("cuFFT"), the soname and the CUDA major the
  // binary was built with. Never closed: the library stays for the process.
  VendorLibrary(std::string what, std::string soname);
  // The address of function `name`; throws core::Error naming the library when it lacks it.
  void* function(const char* name) const;
  // The file it was loaded from.
  const std::string& path() const { return m_path; }

 private:
  std::string m_what, m_soname, m_path;
  void* m_handle = nullptr;
};

}  // namespace twinsim::core::detail

#define TWINSIM_VENDOR_STRING_(x) #x
// A macro's value as a string literal: "libcufft.so." TWINSIM_VENDOR_STRING(CUFFT_VER_MAJOR).
#define TWINSIM_VENDOR_STRING(x) TWINSIM_VENDOR_STRING_(x)
// A table member for vendor function f: a pointer of f's type, named f.
#define TWINSIM_VENDOR_MEMBER(f) decltype(&::f) f = nullptr;
// Fills table member f of `table` from VendorLibrary `library`.
#define TWINSIM_VENDOR_LOOKUP(f) \
  table.f = reinterpret_cast<decltype(table.f)>(library.function(#f));
