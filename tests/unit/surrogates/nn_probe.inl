// Gradient checks of every layer, loss and model on this backend: analytic backward against
// central finite differences of L = sum(r * layer(x)) for a fixed random r, in FP64.
#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>

#include "nn_probe.hpp"
#include "twinsim/surrogates/nn/layers.hpp"

namespace twinsim::TWINSIM_BACKEND_NS::probe {

namespace nn_probe_detail {

using nnk::Layer;
using nnk::T;
using Real = double;

std::vector<double> random_values(std::size_t n, std::uint64_t stream, double lo = -1,
                                  double hi = 1) {
  const core::Philox rng(1234, stream);
  std::vector<double> v(n);
  for (std::size_t i = 0; i < n; i += 2) {
    double u0, u1;
    rng.uniform2(i / 2, u0, u1);
    v[i] = lo + (hi - lo) * u0;
    if (i + 1 < n) v[i + 1] = lo + (hi - lo) * u1;
  }
  return v;
}

T<Real> tensor(const nn::Shape& shape, const std::vector<double>& values) {
  T<Real> t(shape);
  t.data = core::Buffer<Real, Space>::from_host(values);
  return t;
}

// Up to `limit` entries spread over [0, n).
std::vector<std::size_t> sample_entries(std::size_t n, std::size_t limit = 48) {
  std::vector<std::size_t> idx;
  const std::size_t stride = std::max<std::size_t>(1, n / limit);
  for (std::size_t i = 0; i < n; i += stride) idx.push_back(i);
  if (idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

void compare(test::GradCheck& r, const std::string& what, const std::vector<double>& analytic,
             const std::vector<std::size_t>& idx, const std::vector<double>& numeric) {
  double scale = 0, err = 0;
  for (double v : numeric) scale = std::max(scale, std::abs(v));
  for (std::size_t j = 0; j < idx.size(); ++j)
    err = std::max(err, std::abs(analytic[idx[j]] - numeric[j]));
  const double rel = err / std::max(scale, 1e-12);
  r.checked += int(idx.size());
  if (rel >= r.max_error) {
    r.max_error = rel;
    r.scale = scale;
    r.worst = what;
  }
}

// Checks dL/dx and dL/dparameters of `layer` for L = sum(r * layer(x)).
test::GradCheck check_layer(Layer<Real>& layer, const nn::Shape& in_shape) {
  const double h = 1e-6;
  std::vector<double> hx = random_values(std::size_t(nn::element_count(in_shape)), 7);
  T<Real> x = tensor(in_shape, hx);
  const T<Real>& y0 = layer.forward(x);
  const nn::Shape out_shape = y0.shape;
  const std::vector<double> r = random_values(std::size_t(y0.size()), 8);
  const auto objective = [&](const T<Real>& in) {
    const std::vector<double> y = core::to_host(layer.forward(in).data);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += r[i] * y[i];
    return s;
  };
  for (auto* p : layer.params()) nnk::fill(p->grad.ptr(), p->grad.size(), Real(0));
  layer.forward(x);
  const T<Real> dy = tensor(out_shape, r);
  const std::vector<double> dx = core::to_host(layer.backward(dy).data);
  std::vector<std::vector<double>> dparams;
  for (auto* p : layer.params()) dparams.push_back(core::to_host(p->grad.data));

  test::GradCheck result;
  {
    const auto idx = sample_entries(hx.size());
    std::vector<double> numeric;
    for (std::size_t i : idx) {
      std::vector<double> xp = hx, xm = hx;
      xp[i] += h;
      xm[i] -= h;
      numeric.push_back((objective(tensor(in_shape, xp)) - objective(tensor(in_shape, xm))) /
                        (2 * h));
    }
    compare(result, "input", dx, idx, numeric);
  }
  const auto params = layer.params();
  for (std::size_t k = 0; k < params.size(); ++k) {
    nnk::Param<Real>& p = *params[k];
    const std::vector<double> v = core::to_host(p.value.data);
    const auto idx = sample_entries(v.size());
    std::vector<double> numeric;
    for (std::size_t i : idx) {
      std::vector<double> vp = v, vm = v;
      vp[i] += h;
      vm[i] -= h;
      p.value.data = core::Buffer<Real, Space>::from_host(vp);
      const double lp = objective(x);
      p.value.data = core::Buffer<Real, Space>::from_host(vm);
      const double lm = objective(x);
      numeric.push_back((lp - lm) / (2 * h));
    }
    p.value.data = core::Buffer<Real, Space>::from_host(v);
    compare(result, p.name, dparams[k], idx, numeric);
  }
  return result;
}

test::GradCheck check_loss(nn::LossKind kind) {
  const double h = 1e-6;
  const nn::Shape shape{3, 2, 5};
  const std::vector<double> hp = random_values(30, 3), ht = random_values(30, 4);
  const T<Real> t = tensor(shape, ht);
  T<Real> dp;
  nnk::loss(kind, tensor(shape, hp), t, dp);
  const std::vector<double> analytic = core::to_host(dp.data);
  const auto idx = sample_entries(hp.size());
  std::vector<double> numeric;
  T<Real> scratch;
  for (std::size_t i : idx) {
    std::vector<double> pp = hp, pm = hp;
    pp[i] += h;
    pm[i] -= h;
    numeric.push_back((nnk::loss(kind, tensor(shape, pp), t, scratch) -
                       nnk::loss(kind, tensor(shape, pm), t, scratch)) /
                      (2 * h));
  }
  test::GradCheck r;
  compare(r, std::string(nn::to_string(kind)), analytic, idx, numeric);
  return r;
}

// Rollout training (nnk::Trainer::rollout_step): the gradient of the mean MSE over `steps`
// surrogate steps of an FNO, each prediction fed back (2 frames in, 1 out), against central
// differences of the same rollout loss, for every parameter. lr = 0 leaves the parameters.
test::GradCheck check_rollout(int steps) {
  const double h = 1e-6;
  nnk::Context<Real> ctx;
  nn::ModelSpec spec;
  spec.in_channels = 2;
  spec.params.set("width", std::int64_t(4));
  spec.params.set("modes", std::int64_t(3));
  spec.params.set("layers", std::int64_t(2));
  spec.params.set("projection", std::int64_t(6));
  auto net = nnk::build_model(ctx, spec);
  auto loss = nnk::make_loss<Real>(nn::LossKind::mse);
  auto optimizer = nnk::make_optimizer(net->params(), nn::OptimizerSpec{});
  nnk::Trainer<Real> trainer(*net, *loss, *optimizer);
  const nn::Shape in_shape{2, 2, 8, 8}, target_shape{2, steps, 8, 8};
  const T<Real> x = tensor(in_shape, random_values(std::size_t(nn::element_count(in_shape)), 7));
  const T<Real> t =
      tensor(target_shape, random_values(std::size_t(nn::element_count(target_shape)), 9));
  trainer.rollout_step(x, t, steps, 0.0);
  std::vector<std::vector<double>> analytic;  // before the differences overwrite the gradients
  for (auto* p : net->params()) analytic.push_back(core::to_host(p->grad.data));
  test::GradCheck result;
  for (std::size_t k = 0; k < analytic.size(); ++k) {
    nnk::Param<Real>* p = net->params()[k];
    const std::vector<double> v = core::to_host(p->value.data);
    const auto idx = sample_entries(v.size(), 16);
    std::vector<double> numeric;
    for (std::size_t i : idx) {
      std::vector<double> vp = v, vm = v;
      vp[i] += h;
      vm[i] -= h;
      p->value.data = core::Buffer<Real, Space>::from_host(vp);
      const double lp = trainer.rollout_step(x, t, steps, 0.0);
      p->value.data = core::Buffer<Real, Space>::from_host(vm);
      const double lm = trainer.rollout_step(x, t, steps, 0.0);
      numeric.push_back((lp - lm) / (2 * h));
    }
    p->value.data = core::Buffer<Real, Space>::from_host(v);
    compare(result, p->name, analytic[k], idx, numeric);
  }
  return result;
}

struct Case {
  std::string name;
  std::function<test::GradCheck()> run;
};

template <class L, class... Args>
test::GradCheck layer_case(const nn::Shape& in, Args&&... args) {
  nnk::Context<Real> ctx;
  ctx.seed = 42;
  L layer(ctx, std::forward<Args>(args)...);
  return check_layer(layer, in);
}

const std::vector<Case>& cases() {
  static const std::vector<Case> all = {
      {"linear_features",
       [] {
         return layer_case<nnk::Linear<Real>>({4, 3}, "l", 3, 5);
       }},
      {"linear_pointwise",
       [] {
         return layer_case<nnk::Linear<Real>>({2, 3, 4, 5}, "l", 3, 2);
       }},
      {"relu",
       [] {
         nnk::ActivationLayer<Real> a(nn::Activation::relu);
         return check_layer(a, {2, 3, 7});
       }},
      {"gelu",
       [] {
         nnk::ActivationLayer<Real> a(nn::Activation::gelu);
         return check_layer(a, {2, 3, 7});
       }},
      {"tanh",
       [] {
         nnk::ActivationLayer<Real> a(nn::Activation::tanh);
         return check_layer(a, {2, 3, 7});
       }},
      {"silu",
       [] {
         nnk::ActivationLayer<Real> a(nn::Activation::silu);
         return check_layer(a, {2, 3, 7});
       }},
      {"append_grid",
       [] {
         nnk::AppendGrid<Real> a;
         return check_layer(a, {2, 2, 4, 6});
       }},
      {"spectral_conv",
       [] {
         return layer_case<nnk::SpectralConv2d<Real>>({2, 3, 8, 10}, "s", 3, 2, 3);
       }},
      // modes = ny / 2: the Nyquist row is kept (and must be Hermitian in column 0).
      {"spectral_conv_nyquist_row",
       [] {
         return layer_case<nnk::SpectralConv2d<Real>>({2, 2, 6, 8}, "s", 2, 3, 3);
       }},
      {"residual",
       [] {
         nnk::Context<Real> ctx;
         nnk::Residual<Real> r(std::make_unique<nnk::Linear<Real>>(ctx, "l", 3, 3));
         return check_layer(r, {2, 3, 4});
       }},
      {"fourier_block",
       [] {
         return layer_case<nnk::FourierBlock<Real>>({2, 3, 8, 8}, "f", 3, 3, nn::Activation::gelu);
       }},
      {"fno2d_model",
       [] {
         nnk::Context<Real> ctx;
         nn::ModelSpec spec;
         spec.in_channels = 2;
         spec.params.set("width", std::int64_t(4));
         spec.params.set("modes", std::int64_t(3));
         spec.params.set("layers", std::int64_t(2));
         spec.params.set("projection", std::int64_t(6));
         auto net = nnk::build_model(ctx, spec);
         return check_layer(*net, {2, 2, 8, 8});
       }},
      {"mlp_model",
       [] {
         nnk::Context<Real> ctx;
         nn::ModelSpec spec;
         spec.kind = "mlp";
         spec.in_channels = 2;
         spec.out_channels = 2;
         spec.params.set("hidden", std::vector<std::int64_t>{5, 4});
         spec.params.set("activation", std::string("tanh"));
         auto net = nnk::build_model(ctx, spec);
         return check_layer(*net, {3, 2});
       }},
      {"fno2d_rollout_3_steps", [] { return check_rollout(3); }},
      {"mse_loss", [] { return check_loss(nn::LossKind::mse); }},
      {"relative_l2_loss", [] { return check_loss(nn::LossKind::relative_l2); }},
  };
  return all;
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  for (const Case& c : cases()) names.push_back(c.name);
  return names;
}

test::GradCheck run_case(const std::string& name) {
  for (const Case& c : cases())
    if (c.name == name) return c.run();
  throw std::invalid_argument("no gradient case " + name);
}

}  // namespace nn_probe_detail

const test::NnProbe& nn_probe() {
  static const test::NnProbe probe{nn_probe_detail::case_names, nn_probe_detail::run_case};
  return probe;
}

}  // namespace twinsim::TWINSIM_BACKEND_NS::probe
