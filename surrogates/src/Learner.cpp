#include "twinsim/surrogates/Learner.hpp"

#include "twinsim/core/Dispatch.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/io/Checkpoint.hpp"

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
void Learner<Real>::save(io::StateWriter& out, const std::string& prefix) {
  for (const NamedArray<Real>& a : state(true)) out.put(prefix + a.name, a.values);
  out.put(prefix + "optimizer_steps", optimizer_steps());
}

template <class Real>
void Learner<Real>::load(const io::StateReader& in, const std::string& prefix) {
  // This learner's own names and shapes; the values come from the checkpoint.
  std::vector<NamedArray<Real>> arrays = state(true);
  for (NamedArray<Real>& a : arrays) in.get(prefix + a.name, a.values.data(), a.values.size());
  set_state(arrays);
  set_optimizer_steps(in.get_int(prefix + "optimizer_steps"));
}

template class Learner<float>;
template class Learner<double>;

template <class Real>
std::unique_ptr<Learner<Real>> make_learner(core::Backend backend, const ModelSpec& model,
                                            const OptimizerSpec& optimizer, LossKind loss,
                                            std::uint64_t seed) {
  return core::dispatch(backend, [&](auto on) {
    if constexpr (decltype(on)::gpu)
      return cuda::make_learner<Real>(model, optimizer, loss, seed);
    else
      return omp::make_learner<Real>(model, optimizer, loss, seed);
  });
}

template std::unique_ptr<Learner<float>> make_learner<float>(core::Backend, const ModelSpec&,
                                                             const OptimizerSpec&, LossKind,
                                                             std::uint64_t);
template std::unique_ptr<Learner<double>> make_learner<double>(core::Backend, const ModelSpec&,
                                                               const OptimizerSpec&, LossKind,
                                                               std::uint64_t);

}  // namespace nn
}  // namespace twinsim
