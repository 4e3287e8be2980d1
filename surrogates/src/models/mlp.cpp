// The MLP's description for the model registry; the network is nn/models/mlp.hpp.
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

namespace {

// The layers of nn/models/mlp.hpp on an ny x nx grid (tables: 1 x 1): per layer its weights and
// bias (kept per window too while training), its output and input gradient, the activation's
// output and derivative.
Footprint mlp_footprint(const ModelSpec& spec, std::int64_t ny, std::int64_t nx) {
  const double n = double(ny) * double(nx);
  Footprint f;
  double in = spec.in_channels;
  std::vector<double> widths;
  for (std::int64_t h : spec.integers("hidden")) widths.push_back(double(h));
  widths.push_back(spec.out_channels);
  for (double out : widths) {
    f.parameters += in * out + out;
    f.per_window += in * out + out + n * (in + 3 * out);
    in = out;
  }
  return f;
}

}  // namespace

ModelKind mlp_model_kind() {
  return {"mlp",
          "fully connected (tables)",
          {{"hidden", "MLP hidden layer widths", std::vector<std::int64_t>{64, 64}, {}, {}}},
          mlp_footprint};
}

}  // namespace twinsim::nn
