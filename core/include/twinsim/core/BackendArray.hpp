#pragma once
// An array in the memory of a backend chosen at run time (Backend::Gpu: device memory,
// Backend::Cpu: host memory), for code that is not compiled per backend: a solver's run keeps
// the frames it records for an in-situ trainer there (loop::SampleSpan points into it), so on
// the GPU they never cross to the host. Buffer<T, Space> is the same thing for backend
// translation units, which know their Space at compile time.
#include <cstddef>
#include <type_traits>
#include <vector>

#include "twinsim/core/Backend.hpp"
#include "twinsim/core/Buffer.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim::core {

template <class T>
class BackendArray {
  static_assert(std::is_trivially_copyable_v<T>, "BackendArray holds trivially copyable types");

 public:
  // n elements, uninitialised.
  BackendArray(Backend backend, std::size_t n)
      : m_backend(backend),
        m_space(backend == Backend::Gpu ? MemorySpace::Device : MemorySpace::Host),
        m_data(static_cast<T*>(detail::allocate(n * sizeof(T), m_space))),
        m_n(n) {}
  ~BackendArray() { detail::deallocate(m_data, m_space); }
  BackendArray(const BackendArray&) = delete;
  BackendArray& operator=(const BackendArray&) = delete;

  T* data() { return m_data; }
  const T* data() const { return m_data; }
  std::size_t size() const { return m_n; }
  Backend backend() const { return m_backend; }
  // Checkpoints (and outputs): the host copy and back; one copy each.
  std::vector<T> to_host() const {
    std::vector<T> h(m_n);
    detail::copy_bytes(h.data(), MemorySpace::Host, m_data, m_space, m_n * sizeof(T));
    return h;
  }
  void from_host(const std::vector<T>& h) {
    TWINSIM_REQUIRE(h.size() == m_n, "BackendArray::from_host: another size");
    detail::copy_bytes(m_data, m_space, h.data(), MemorySpace::Host, m_n * sizeof(T));
  }

 private:
  Backend m_backend;
  MemorySpace m_space;
  T* m_data;
  std::size_t m_n;
};

}  // namespace twinsim::core
