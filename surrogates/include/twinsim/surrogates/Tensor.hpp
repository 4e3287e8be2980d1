#pragma once
// A tensor is a shape and a Buffer: n-d arrays in C order (slowest axis first) in one memory
// space. Network activations are channels-first, [batch][channel][y][x] ([batch][feature] for
// fully connected layers), so one spatial plane per (sample, channel) is contiguous for the
// batched FFTs and a channel mix is one strided-batched gemm.
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "twinsim/core/Buffer.hpp"

namespace twinsim::nn {

using Shape = std::vector<std::int64_t>;

inline std::int64_t element_count(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), std::int64_t(1),
                         [](std::int64_t a, std::int64_t b) { return a * b; });
}

std::string to_string(const Shape& shape);  // "[20, 12, 64, 64]"

template <class Real, class Space>
struct Tensor {
  Shape shape;
  core::Buffer<Real, Space> data;

  Tensor() = default;
  explicit Tensor(Shape s) : shape(std::move(s)), data(std::size_t(element_count(shape))) {}
  std::int64_t size() const { return std::int64_t(data.size()); }
  Real* ptr() { return data.data(); }
  const Real* ptr() const { return data.data(); }
  // Gives the tensor this shape; memory is reallocated (contents lost) only when the element
  // count changes.
  void resize(const Shape& s) {
    if (element_count(s) != std::int64_t(data.size()))
      data = core::Buffer<Real, Space>(std::size_t(element_count(s)));
    shape = s;
  }
};

// Values with a name and a shape in host memory: parameters, optimizer moments, statistics
// on their way to and from files.
template <class Real>
struct NamedArray {
  std::string name;
  Shape shape;
  std::vector<Real> values;
};

}  // namespace twinsim::nn
