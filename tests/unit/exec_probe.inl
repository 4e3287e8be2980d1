// Backend translation unit for the exec tests: compiled by g++ (twinsim::omp) and nvcc
// (twinsim::cuda). See exec_probe.hpp.
#include "exec_probe.hpp"
#include "twinsim/core/Philox.hpp"
#include "twinsim/core/exec.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::probe {
// Named (not anonymous) namespace: nvcc's extended lambdas need externally visible enclosing
// functions.
namespace detail {

using core::Buffer;

std::vector<double> axpy(double a, const std::vector<double>& x, std::vector<double> y) {
  const auto d_x = Buffer<double, Space>::from_host(x);
  auto d_y = Buffer<double, Space>::from_host(y);
  const double* px = d_x.data();
  double* py = d_y.data();
  for_each_index(Index(x.size()), [=] TWINSIM_HD(Index i) { py[i] = a * px[i] + py[i]; });
  return core::to_host(d_y);
}

double sum_of_squares(std::int64_t n) {
  return transform_reduce(
      n, 0.0, [] TWINSIM_HD(Index i) { return double(i) * double(i); }, core::Plus{});
}

std::pair<int, int> max_min(const std::vector<int>& v) {
  const auto d_v = Buffer<int, Space>::from_host(v);
  const int* p = d_v.data();
  const auto at = [=] TWINSIM_HD(Index i) { return p[i]; };
  return {transform_reduce(Index(v.size()), v.front(), at, core::Max{}),
          transform_reduce(Index(v.size()), v.front(), at, core::Min{})};
}

std::vector<std::int64_t> scan(const std::vector<std::int64_t>& v) {
  const auto d_in = Buffer<std::int64_t, Space>::from_host(v);
  Buffer<std::int64_t, Space> d_out(v.size());
  exclusive_scan(d_in.data(), d_out.data(), Index(v.size()));
  return core::to_host(d_out);
}

std::vector<std::int64_t> scan_in_place(const std::vector<std::int64_t>& v) {
  auto d = Buffer<std::int64_t, Space>::from_host(v);
  exclusive_scan(d.data(), d.data(), Index(v.size()));
  return core::to_host(d);
}

std::pair<std::vector<std::uint32_t>, std::vector<int>> sort(std::vector<std::uint32_t> keys,
                                                             std::vector<int> values) {
  auto d_k = Buffer<std::uint32_t, Space>::from_host(keys);
  auto d_v = Buffer<int, Space>::from_host(values);
  sort_by_key(d_k.data(), d_v.data(), Index(keys.size()));
  return {core::to_host(d_k), core::to_host(d_v)};
}

std::vector<std::uint32_t> philox_words(std::uint64_t seed, std::uint64_t stream,
                                        std::uint64_t first, std::int64_t n) {
  Buffer<std::uint32_t, Space> d_out(4 * n);
  std::uint32_t* out = d_out.data();
  const core::Philox rng(seed, stream);
  for_each_index(n, [=] TWINSIM_HD(Index i) {
    const auto w = rng.words(first + std::uint64_t(i));
    for (int j = 0; j < 4; ++j) out[4 * i + j] = w.v[j];
  });
  return core::to_host(d_out);
}

std::vector<double> philox_normals(std::uint64_t seed, std::uint64_t stream, std::int64_t n) {
  Buffer<double, Space> d_out(2 * n);
  double* out = d_out.data();
  const core::Philox rng(seed, stream);
  for_each_index(n, [=] TWINSIM_HD(Index i) { rng.normal2(i, out[2 * i], out[2 * i + 1]); });
  return core::to_host(d_out);
}

}  // namespace detail

const test::ExecProbe& exec_probe() {
  using namespace detail;
  static const test::ExecProbe probe{axpy,          sum_of_squares, max_min,      scan,
                                     scan_in_place, sort,           philox_words, philox_normals};
  return probe;
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::probe
