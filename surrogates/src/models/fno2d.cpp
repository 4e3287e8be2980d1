// FNO-2D's description for the model registry; the network is nn/models/fno2d.hpp.
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

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
           {"projection", "FNO channels of the projection layer", std::int64_t(128), 1, {}}}};
}

}  // namespace twinsim::nn
