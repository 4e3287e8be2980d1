// Backend translation unit: the FTCS heat solver on the OpenMP or CUDA backend (compiled twice,
// see twinsim_dual_backend_library). The physics is heat::ftcs_update; this file only owns the
// memory and launches it.
#include <utility>

#include "twinsim/core/exec.hpp"
#include "twinsim/heat/HeatSolver.hpp"
#include "twinsim/heat/kernels/heat_kernel.hpp"

namespace twinsim::TWINSIM_BACKEND_NS {

namespace heat_detail {

using core::Buffer;

// Kernels as free functions over raw pointers (Space memory): nvcc's extended lambdas may not
// live in private member functions.

// One step from u to next (n cells each; next must not alias u: every cell reads its
// neighbours' old values).
void ftcs_step(Index n, double r, const double* u, double* next) {
  for_each_index(n, [=] TWINSIM_HD(Index i) { next[i] = heat::ftcs_update(u, i, n, r); });
}

double sum(Index n, const double* u) {
  return transform_reduce(n, 0.0, [=] TWINSIM_HD(Index i) { return u[i]; }, core::Plus{});
}

class HeatSolverImpl final : public heat::HeatSolver {
 public:
  HeatSolverImpl(const heat::HeatSettings& settings, const std::vector<double>& initial)
      : HeatSolver(settings),
        m_u(Buffer<double, Space>::from_host(initial)),
        m_next(initial.size()) {}

  std::int64_t step() const override { return m_step; }

  void run(std::int64_t steps) override {
    const Index n = Index(m_u.size());
    const double r = settings().r();
    for (std::int64_t k = 0; k < steps; ++k) {
      ftcs_step(n, r, m_u.data(), m_next.data());
      std::swap(m_u, m_next);  // swaps the pointers; queued kernels keep theirs
    }
    m_step += steps;
  }

  void synchronize() override { TWINSIM_BACKEND_NS::synchronize(); }

  std::vector<double> temperature() const override { return core::to_host(m_u); }

  double heat_content() const override {
    return sum(Index(m_u.size()), m_u.data()) * settings().dx();
  }

  void set_state(std::int64_t step, const std::vector<double>& temperature) override {
    TWINSIM_REQUIRE(temperature.size() == m_u.size(), "heat: a state of another cell count");
    m_u = Buffer<double, Space>::from_host(temperature);
    m_step = step;
  }

 private:
  Buffer<double, Space> m_u;     // K, per cell: the current temperature
  Buffer<double, Space> m_next;  // the step being written
  std::int64_t m_step = 0;
};

}  // namespace heat_detail

std::unique_ptr<heat::HeatSolver> make_heat_solver(const heat::HeatSettings& settings,
                                                   const std::vector<double>& initial) {
  return std::make_unique<heat_detail::HeatSolverImpl>(settings, initial);
}

}  // namespace twinsim::TWINSIM_BACKEND_NS
