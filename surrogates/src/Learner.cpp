#include "twinsim/surrogates/Learner.hpp"

#include "twinsim/core/Error.hpp"
#include "twinsim/core/config.hpp"

namespace twinsim {
namespace omp {
template <class Real>
std::unique_ptr<nn::Learner<Real>> make_learner(const nn::ModelSpec&, const nn::OptimizerSpec&,
                                                nn::LossKind, std::uint64_t);
}
namespace cuda {
template <class Real>
std::unique_ptr<nn::Learner<Real>> make_learner(const nn::ModelSpec&, const nn::OptimizerSpec&,
                                                nn::LossKind, std::uint64_t);
}

namespace nn {

template <class Real>
std::unique_ptr<Learner<Real>> make_learner(core::Backend backend, const ModelSpec& model,
                                            const OptimizerSpec& optimizer, LossKind loss,
                                            std::uint64_t seed) {
#if TWINSIM_HAVE_CUDA
  if (backend == core::Backend::Gpu) return cuda::make_learner<Real>(model, optimizer, loss, seed);
#endif
  if (backend == core::Backend::Gpu)
    throw core::Error("the GPU backend was requested but this Twinsim was built without CUDA");
  return omp::make_learner<Real>(model, optimizer, loss, seed);
}

template std::unique_ptr<Learner<float>> make_learner<float>(core::Backend, const ModelSpec&,
                                                             const OptimizerSpec&, LossKind,
                                                             std::uint64_t);
template std::unique_ptr<Learner<double>> make_learner<double>(core::Backend, const ModelSpec&,
                                                               const OptimizerSpec&, LossKind,
                                                               std::uint64_t);

}  // namespace nn
}  // namespace twinsim
