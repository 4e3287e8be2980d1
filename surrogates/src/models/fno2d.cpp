// FNO-2D's description for the model registry; the network is nn/models/fno2d.hpp.
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

namespace {

// The layers of nn/models/fno2d.hpp: lift, `layers` Fourier blocks (a spectral convolution and a
// pointwise linear map, then the activation), projection, activation, output.
Footprint fno2d_footprint(const ModelSpec& spec, std::int64_t ny, std::int64_t nx) {
  const double w = double(spec.integer("width")), m = double(spec.integer("modes"));
  const double layers = double(spec.integer("layers")), p = double(spec.integer("projection"));
  const double in = spec.in_channels + 2.0, out = spec.out_channels, n = double(ny) * double(nx);
  // A linear map's weights and bias; training keeps them per window too (its partial sums).
  const auto linear = [](double a, double b) { return a * b + b; };
  Footprint f;
  f.parameters = linear(in, w) + layers * (4 * w * w * m * m + linear(w, w)) + linear(w, p) +
                 linear(p, out);
  // Per block: three half spectra of width channels (about a field each), the convolution's
  // and the linear map's outputs and input gradients, the activation's output and derivative,
  // the block's input gradient, the FFT work area.
  f.per_window = n * (2 * in + 2 * w + layers * 11 * w + 5 * p + 2 * out) +
                 linear(in, w) + layers * linear(w, w) + linear(w, p) + linear(p, out);
  return f;
}

}  // namespace

ModelKind fno2d_model_kind() {
  return {"fno2d",
          "Fourier Neural Operator (Li et al. 2021)",
          {{"width", "FNO channels inside the Fourier layers", std::int64_t(20), 1, {}},
           {"modes",
            "FNO Fourier modes kept per direction (at most half the grid)",
            std::int64_t(12),
            1,
            {}},
           {"layers", "FNO Fourier layers", std::int64_t(4), 1, {}},
           {"projection", "FNO channels of the projection layer", std::int64_t(128), 1, {}}},
          fno2d_footprint};
}

}  // namespace twinsim::nn
