// Learning-rate schedules against their closed forms (PyTorch's StepLR and CosineAnnealingLR),
// seeded shuffling, normalisation statistics and the model file round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "twinsim/core/Error.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {
namespace {

TEST(Schedule, StepHalvesEveryStepSizeEpochs) {
  OptimizerSpec o;
  o.lr = 1e-3;
  o.schedule = "step";
  o.step_size = 100;
  o.gamma = 0.5;
  EXPECT_DOUBLE_EQ(o.learning_rate(0), 1e-3);
  EXPECT_DOUBLE_EQ(o.learning_rate(99), 1e-3);
  EXPECT_DOUBLE_EQ(o.learning_rate(100), 5e-4);
  EXPECT_DOUBLE_EQ(o.learning_rate(499), 1e-3 / 16);
}

TEST(Schedule, CosineAnnealsFromLrToMinLr) {
  OptimizerSpec o;
  o.lr = 2e-3;
  o.min_lr = 1e-4;
  o.schedule = "cosine";
  o.epochs = 50;
  EXPECT_DOUBLE_EQ(o.learning_rate(0), 2e-3);
  EXPECT_NEAR(o.learning_rate(25), 1e-4 + 0.5 * 1.9e-3, 1e-15);
  EXPECT_NEAR(o.learning_rate(50), 1e-4, 1e-15);
  EXPECT_NEAR(o.learning_rate(10), 1e-4 + 0.5 * 1.9e-3 * (1 + std::cos(M_PI * 10 / 50)), 1e-15);
}

TEST(Shuffle, IsAReproduciblePermutationThatChangesWithTheEpoch) {
  const auto a = shuffled(1000, 3, 7), b = shuffled(1000, 3, 7), c = shuffled(1000, 3, 8);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  std::vector<std::int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> expected(1000);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(sorted, expected);
}

TEST(Normalisation, IsTheMeanAndPopulationStandardDeviation) {
  const Normalisation n = normalisation_of({1, 2, 3, 4});
  EXPECT_DOUBLE_EQ(n.mean, 2.5);
  EXPECT_DOUBLE_EQ(n.std, std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(n.undo(n.apply(3.7)), 3.7);
}

TEST(ModelFile, RoundTripsArchitectureNormalisationAndParameters) {
  ModelFile m;
  m.model.params.set("width", std::int64_t(7));
  m.model.params.set("modes", std::int64_t(3));
  m.model.params.set("hidden", std::vector<std::int64_t>{});
  m.model.params.set("activation", std::string("silu"));
  m.precision = "float64";
  m.normalisation = {0.25, 2.0};
  m.files = {"a.h5", "b.h5"};
  m.dataset = "/vorticity/value";
  m.train_samples = 5;
  m.epoch = 3;
  m.optimizer_steps = 12;
  m.arrays = {{"lift.weight", {2, 3}, {1, 2, 3, 4, 5, 6.5}},
              {"lift.weight.adam_m", {2, 3}, {0.1, 0, 0, 0, 0, 1e-300}}};
  const auto path = std::filesystem::temp_directory_path() / "twinsim_test_model_file.h5";
  write_model_file(path, m);
  const ModelFile r = read_model_file(path);
  std::filesystem::remove(path);
  EXPECT_EQ(r.model.integer("width"), 7);
  EXPECT_EQ(r.model.integer("modes"), 3);
  EXPECT_EQ(r.model.integer("layers"), 4);  // not set: absent from the file, the default
  EXPECT_EQ(r.model.activation(), Activation::silu);
  EXPECT_TRUE(r.model.integers("hidden").empty());
  EXPECT_EQ(r.normalisation.mean, 0.25);
  EXPECT_EQ(r.files, m.files);
  EXPECT_EQ(r.epoch, 3);
  EXPECT_EQ(r.optimizer_steps, 12);
  ASSERT_EQ(r.arrays.size(), 2u);
  EXPECT_EQ(r.arrays[0].shape, (Shape{2, 3}));
  EXPECT_EQ(r.arrays[0].values, m.arrays[0].values);
  EXPECT_EQ(r.arrays[1].values, m.arrays[1].values);
}

TEST(ModelRegistry, DeclaresEachKindAndItsDefaults) {
  std::vector<std::string> names;
  for (const ModelKind& k : model_kinds()) names.push_back(k.name);
  EXPECT_EQ(names, (std::vector<std::string>{"fno2d", "mlp"}));
  ModelSpec s;  // fno2d, nothing set: every hyper-parameter has its declared default
  EXPECT_EQ(s.integer("width"), 20);
  EXPECT_EQ(s.activation(), Activation::gelu);
  s.params.set("width", std::int64_t(8));
  EXPECT_EQ(s.integer("width"), 8);
  EXPECT_THROW(s.integers("hidden"), core::Error);  // mlp's, not fno2d's
  EXPECT_THROW(s.string("width"), core::Error);     // another type
  try {
    model_kind("unet");
    FAIL() << "an unknown kind was accepted";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("fno2d, mlp"), std::string::npos) << e.what();
  }
}

// The memory preflight's parameter count (each kind's Footprint, from the layers' shapes) is
// the count of the network the backend builds.
TEST(ModelRegistry, FootprintCountsTheParametersOfTheBuiltNetwork) {
  ModelSpec fno;
  fno.in_channels = 3;
  fno.out_channels = 2;
  fno.params.set("width", std::int64_t(6));
  fno.params.set("modes", std::int64_t(3));
  fno.params.set("layers", std::int64_t(2));
  fno.params.set("projection", std::int64_t(10));
  ModelSpec mlp;
  mlp.kind = "mlp";
  mlp.in_channels = 2;
  mlp.out_channels = 1;
  mlp.params.set("hidden", std::vector<std::int64_t>{7, 5});
  for (const ModelSpec& spec : {fno, mlp}) {
    const auto learner =
        make_learner<float>(core::Backend::Cpu, spec, OptimizerSpec{}, LossKind::mse, 0);
    const Footprint f = model_kind(spec.kind).footprint(spec, 16, 16);
    EXPECT_EQ(f.parameters, double(learner->parameter_count())) << spec.kind;
    EXPECT_GT(f.per_window, 16.0 * 16.0 * double(spec.in_channels)) << spec.kind;
  }
}

TEST(ModelFile, RefusesAFileThatIsNotAModel) {
  EXPECT_THROW(read_model_file("/nonexistent/model.h5"), core::Error);
}

}  // namespace
}  // namespace twinsim::nn
