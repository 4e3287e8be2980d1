#include "vendor_library.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <link.h>
#include <spdlog/spdlog.h>

#include "twinsim/core/Error.hpp"

namespace twinsim::core::detail {

namespace {

// dlerror()'s text, or "" when it has none.
std::string last_dl_error() {
  const char* e = dlerror();
  return e ? e : "";
}

}  // namespace

VendorLibrary::VendorLibrary(std::string what, std::string soname)
    : m_what(std::move(what)), m_soname(std::move(soname)) {
  m_handle = dlopen(m_soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::string why = m_handle ? "" : last_dl_error();
  const std::string in_toolkit = std::string(TWINSIM_CUDA_LIBRARY_DIR) + "/" + m_soname;
  if (!m_handle) m_handle = dlopen(in_toolkit.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!m_handle)
    throw Error(fmt::format(
        "the GPU backend needs {} ({}, of CUDA {}) and it was not found ({}; nor in {}): install "
        "the CUDA {} toolkit's {} (or the nvidia-*-cu{} Python wheel) and add its library folder "
        "to LD_LIBRARY_PATH, or run with --device cpu",
        m_what, m_soname, TWINSIM_CUDA_MAJOR, why, TWINSIM_CUDA_LIBRARY_DIR, TWINSIM_CUDA_MAJOR,
        m_what, TWINSIM_CUDA_MAJOR));
  const link_map* map = nullptr;
  m_path = dlinfo(m_handle, RTLD_DI_LINKMAP, &map) == 0 && map ? map->l_name : m_soname;
  spdlog::debug("{}: {} loaded from {}", m_what, m_soname, m_path);
}

void* VendorLibrary::function(const char* name) const {
  void* f = dlsym(m_handle, name);
  if (!f)
    throw Error(
        fmt::format("{} ({}) has no function {}: it is older than the CUDA {} the "
                    "binary was built with; install that toolkit's {}",
                    m_what, m_path, name, TWINSIM_CUDA_MAJOR, m_what));
  return f;
}

}  // namespace twinsim::core::detail
