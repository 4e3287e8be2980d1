// The MLP's description for the model registry; the network is nn/models/mlp.hpp.
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

ModelKind mlp_model_kind() {
  return {"mlp",
          "fully connected (tables)",
          {{"hidden", "MLP hidden layer widths", std::vector<std::int64_t>{64, 64}, {}, {}}}};
}

}  // namespace twinsim::nn
