#pragma once
#include <cstddef>
#include <type_traits>
#include <utility>
#include <vector>

#include "twinsim/core/Error.hpp"

namespace twinsim::core {

// Where a Buffer's memory lives. HostSpace: ordinary (64-byte aligned) host memory, used by
// the OpenMP backend. DeviceSpace: CUDA device memory (cudaMalloc; never managed memory).
enum class MemorySpace { Host, Device };
struct HostSpace {
  static constexpr MemorySpace k_space = MemorySpace::Host;
};
struct DeviceSpace {
  static constexpr MemorySpace k_space = MemorySpace::Device;
};

namespace detail {
void* allocate(std::size_t bytes, MemorySpace space);
void deallocate(void* ptr, MemorySpace space) noexcept;
// Copies bytes between any two spaces; synchronous with respect to the host.
void copy_bytes(void* dst, MemorySpace dst_space, const void* src, MemorySpace src_space,
                std::size_t bytes);
}  // namespace detail

// Owns n elements of trivially copyable T in one memory space. Move-only; copies between
// spaces are explicit (copy(), to_host(), Buffer::from_host()). Contents start uninitialised.
template <class T, class Space>
class Buffer {
  static_assert(std::is_trivially_copyable_v<T>, "Buffer holds trivially copyable types");

 public:
  Buffer() = default;
  explicit Buffer(std::size_t n)
      : m_data(n ? static_cast<T*>(detail::allocate(n * sizeof(T), Space::k_space)) : nullptr),
        m_size(n) {}
  ~Buffer() { detail::deallocate(m_data, Space::k_space); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept
      : m_data(std::exchange(o.m_data, nullptr)), m_size(std::exchange(o.m_size, 0)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      detail::deallocate(m_data, Space::k_space);
      m_data = std::exchange(o.m_data, nullptr);
      m_size = std::exchange(o.m_size, 0);
    }
    return *this;
  }

  static Buffer from_host(const std::vector<T>& h_values) {
    Buffer b(h_values.size());
    detail::copy_bytes(b.m_data, Space::k_space, h_values.data(), MemorySpace::Host, b.bytes());
    return b;
  }

  T* data() { return m_data; }
  const T* data() const { return m_data; }
  std::size_t size() const { return m_size; }
  std::size_t bytes() const { return m_size * sizeof(T); }
  bool empty() const { return m_size == 0; }

 private:
  T* m_data = nullptr;
  std::size_t m_size = 0;
};

// Copies src into dst (equal sizes), whatever their spaces.
template <class T, class DstSpace, class SrcSpace>
void copy(Buffer<T, DstSpace>& dst, const Buffer<T, SrcSpace>& src) {
  TWINSIM_REQUIRE(dst.size() == src.size(), "copy between Buffers of different sizes");
  detail::copy_bytes(dst.data(), DstSpace::k_space, src.data(), SrcSpace::k_space, src.bytes());
}

// Copies host values into dst (equal sizes), reusing its memory.
template <class T, class Space>
void copy(Buffer<T, Space>& dst, const std::vector<T>& h_src) {
  TWINSIM_REQUIRE(dst.size() == h_src.size(), "copy into a Buffer of another size");
  detail::copy_bytes(dst.data(), Space::k_space, h_src.data(), MemorySpace::Host, dst.bytes());
}

template <class T, class Space>
std::vector<T> to_host(const Buffer<T, Space>& b) {
  std::vector<T> h(b.size());
  detail::copy_bytes(h.data(), MemorySpace::Host, b.data(), Space::k_space, b.bytes());
  return h;
}

}  // namespace twinsim::core
