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
  // Checkpoints and outputs: elements [first, first + count) to the host, or host values into
  // [first, first + h.size()); one copy each (the whole array without arguments).
  std::vector<T> to_host() const { return to_host(0, m_n); }
  std::vector<T> to_host(std::size_t first, std::size_t count) const {
    TWINSIM_REQUIRE(first + count <= m_n, "BackendArray::to_host: past the end");
    std::vector<T> h(count);
    detail::copy_bytes(h.data(), MemorySpace::Host, m_data + first, m_space, count * sizeof(T));
    return h;
  }
  void from_host(const std::vector<T>& h) {
    TWINSIM_REQUIRE(h.size() == m_n, "BackendArray::from_host: another size");
    from_host(h, 0);
  }
  void from_host(const std::vector<T>& h, std::size_t first) {
    TWINSIM_REQUIRE(first + h.size() <= m_n, "BackendArray::from_host: past the end");
    detail::copy_bytes(m_data + first, m_space, h.data(), MemorySpace::Host, h.size() * sizeof(T));
  }

 private:
  Backend m_backend;
  MemorySpace m_space;
  T* m_data;
  std::size_t m_n;
};

}  // namespace twinsim::core
