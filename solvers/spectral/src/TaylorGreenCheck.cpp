#include "twinsim/spectral/TaylorGreenCheck.hpp"

#include <fmt/format.h>

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace omp {
std::unique_ptr<spectral::TaylorGreenCheck> make_taylor_green_check(
    int n, const spectral::TaylorGreenParams& p);
}
namespace cuda {
std::unique_ptr<spectral::TaylorGreenCheck> make_taylor_green_check(
    int n, const spectral::TaylorGreenParams& p);
}

namespace spectral {

std::unique_ptr<TaylorGreenCheck> make_taylor_green_check(core::Backend backend, int n,
                                                          const TaylorGreenParams& params) {
  if (n < 4 || n % 2 != 0)
    throw core::Error(fmt::format("Taylor-Green grid: n = {}, expected an even n >= 4", n));
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_taylor_green_check(n, params);
    else
      return omp::make_taylor_green_check(n, params);
  });
}

}  // namespace spectral
}  // namespace twinsim
