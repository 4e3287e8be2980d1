#include "twinsim/surrogates/Schema.hpp"

#include <variant>

#include "twinsim/core/Backend.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/loop/Run.hpp"
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

namespace {

// [model]: kind, whose choices are the registered models, then every registered hyper-parameter
// (Models.hpp), so a new model changes no schema code.
void add_model_schema(io::Schema& schema, bool required) {
  std::string kind_doc;
  std::vector<std::string> kinds;
  for (const ModelKind& k : model_kinds()) {
    kind_doc += (kinds.empty() ? "" : "; ") + k.name + ": " + k.doc;
    kinds.push_back(k.name);
  }
  auto section = schema.section("model", "The network");
  if (required) section.required();
  section.key_string("kind", kind_doc).default_value(kinds.front()).one_of(kinds);
  for (const HyperParam& p : model_hyper_parameters()) {
    if (const auto* v = std::get_if<std::int64_t>(&p.default_value)) {
      auto key = section.key_int(p.name, p.doc).default_value(*v);
      if (p.at_least) key.at_least(double(*p.at_least));
    } else if (const auto* d = std::get_if<double>(&p.default_value)) {
      section.key_float(p.name, p.doc).default_value(*d);
    } else if (const auto* l = std::get_if<std::vector<std::int64_t>>(&p.default_value)) {
      section.key_ints(p.name, p.doc).default_value(*l);
    } else {
      auto key = section.key_string(p.name, p.doc)
                     .default_value(std::get<std::string>(p.default_value));
      if (!p.choices.empty()) key.one_of(p.choices);
    }
  }
}

}  // namespace

io::Schema surrogate_case_schema() {
  io::Schema schema;
  io::SectionBuilder run = schema.section("run", "What to run").required();
  run.key_string("name", "Run name: train writes runs/<name>/model.h5, predict "
                          "runs/<name>_predict/<name>.h5").required().file_name()
      .key_string("device", "Backend: auto (the GPU when one is present), cpu or gpu; "
                            "--device overrides it")
      .default_value("auto").one_of(core::device_requests());
  loop::add_progress_key(run);
  add_surrogate_schema(schema);
  return schema;
}

void add_surrogate_schema(io::Schema& schema, bool with_checkpoint) {
  schema.section("data", "Training data: trajectories [sample][frame][y][x] from solver HDF5 "
                         "files (the spectral solver's /vorticity/value), or a table of state "
                         "points from an ensemble gathered by twinsim gather")
      .required()
      .key_string("kind", "trajectories: [sample][frame][y][x] (fno2d); table: one row per "
                          "member of gathered files, named input and output columns (mlp)")
      .default_value("trajectories").one_of({"trajectories", "table"})
      .key_strings("files", "HDF5 files (paths relative to the working directory), "
                            "concatenated along samples (table: rows) in this order").required()
      .key_string("dataset", "Trajectories: dataset inside each file")
      .default_value("/vorticity/value")
      .key_strings("inputs", "Table: input columns, each a swept case key of the members "
                             "table (\"md.density\") or a number in every member's "
                             "summary.json (\"pressure.mean\")")
      .default_value(std::vector<std::string>{})
      .key_strings("outputs", "Table: output columns, named like inputs")
      .default_value(std::vector<std::string>{})
      .key_int("train_samples", "Samples (table: rows) used for training: the first ones")
      .required()
      .at_least(1)
      .key_int("test_samples", "Samples (table: rows) used for testing: the ones after the "
                               "training samples")
      .default_value(0).at_least(0)
      .key_int("in_frames", "Frames the model sees (10 in Li et al.)").default_value(10)
      .at_least(1)
      .key_int("out_frames", "Frames the model predicts per step").default_value(1).at_least(1);
  add_training_schema(schema, true);
  // Training checkpoints: every_steps counts optimizer steps (batches). Here, not at the end:
  // a case's resolved text lists sections in schema order, and model files and checkpoints
  // keep that text.
  if (with_checkpoint) io::add_checkpoint_schema(schema);
  add_predict_schema(schema);
}

void add_training_schema(io::Schema& schema, bool required) {
  add_model_schema(schema, required);
  auto optimizer = schema.section("optimizer", "Adam / AdamW and the learning-rate schedule");
  if (required) optimizer.required();
  optimizer
      .key_string("kind", "adam: L2 weight decay added to the gradient (PyTorch's Adam); adamw: "
                          "decoupled decay")
      .default_value("adam").one_of({"adam", "adamw"})
      .key_float("lr", "Initial learning rate").default_value(1e-3).greater_than(0.0)
      .key_float("weight_decay", "Weight decay").default_value(1e-4).at_least(0.0)
      .key_float("beta1", "Adam beta1").default_value(0.9).at_least(0.0).less_than(1.0)
      .key_float("beta2", "Adam beta2").default_value(0.999).at_least(0.0).less_than(1.0)
      .key_float("eps", "Adam epsilon").default_value(1e-8).greater_than(0.0)
      .key_string("schedule", "none; step: lr times gamma every step_size epochs; cosine: "
                              "cosine annealing from lr to min_lr over train.epochs")
      .default_value("step").one_of({"none", "step", "cosine"})
      .key_int("step_size", "Epochs between steps of the step schedule").default_value(100)
      .at_least(1)
      .key_float("gamma", "Factor of the step schedule").default_value(0.5).greater_than(0.0)
      .key_float("min_lr", "Final learning rate of the cosine schedule").default_value(0.0)
      .at_least(0.0);
  auto train = schema.section("train", "Training");
  if (required) train.required();
  train.key_int("epochs", "Passes over the training windows").default_value(500).at_least(1)
      .key_int("batch", "Windows per optimizer step").default_value(20).at_least(1)
      .key_string("loss", "relative_l2: mean over samples of |p - t| / |t| (Li et al.); mse")
      .default_value("relative_l2").one_of({"relative_l2", "mse"})
      .key_int("rollout_steps", "Surrogate steps per training window: the loss is the mean over "
                                "this many steps of a rollout (each prediction fed back) and the "
                                "backward pass runs through it; 1: one-step windows (teacher "
                                "forcing). The test loss stays one-step")
      .default_value(1).at_least(1)
      .key_string("precision", "Arithmetic and stored precision").default_value("float32")
      .one_of({"float32", "float64"})
      .key_int("seed", "Seed of the initial weights and of the shuffling").default_value(0)
      .at_least(0)
      .key_string("init_from", "Model file whose parameters start the training instead of "
                               "random ones (fine-tuning): same architecture; the optimizer, "
                               "epochs and schedule start afresh. To continue an interrupted "
                               "run use twinsim train --restart")
      .default_value("");
}

void add_predict_schema(io::Schema& schema) {
  schema.section("predict", "Rollouts of a trained model (twinsim predict); absent: the "
                            "defaults below")
      .key_string("model", "Model file; empty: runs/<run.name>/model.h5 (what twinsim train "
                           "wrote)")
      .default_value("")
      .key_string("samples", "test: the test samples of [data]; train: the training samples")
      .default_value("test").one_of({"test", "train"})
      .key_int("steps", "Rollout steps; 0: to the end of the trajectories").default_value(0)
      .at_least(0)
      .key_int("batch", "Samples rolled out together").default_value(20).at_least(1)
      .key_string("reference", "Table: an equation of state the predictions are also compared "
                               "with: none, or lj_jzg (Johnson, Zollweg & Gubbins 1993; inputs "
                               "md.density and md.temperature, outputs pressure.mean and/or "
                               "potential_energy_per_atom.mean of full-potential LJ)")
      .default_value("none").one_of({"none", "lj_jzg"})
      .key_ints("grid", "Table: the model is also evaluated on this many points per input "
                        "over the training rows' range (predictions.csv)")
      .default_value(std::vector<std::int64_t>{11, 11});
}

ModelSpec model_spec(const io::Case& c) {
  if (c.get_string("data.kind") == "table")  // one row: inputs in, outputs out
    return model_spec(c, int(c.get_strings("data.inputs").size()),
                      int(c.get_strings("data.outputs").size()));
  return model_spec(c, int(c.get_int("data.in_frames")), int(c.get_int("data.out_frames")));
}

ModelSpec model_spec(const io::Case& c, int in_channels, int out_channels) {
  ModelSpec s;
  s.kind = c.get_string("model.kind");
  s.in_channels = in_channels;
  s.out_channels = out_channels;
  // Every [model] key, this kind's or not: the model file keeps the section as resolved.
  for (const HyperParam& p : model_hyper_parameters()) {
    const std::string key = "model." + p.name;
    if (std::holds_alternative<std::int64_t>(p.default_value))
      s.params.set(p.name, c.get_int(key));
    else if (std::holds_alternative<double>(p.default_value))
      s.params.set(p.name, c.get_float(key));
    else if (std::holds_alternative<std::vector<std::int64_t>>(p.default_value))
      s.params.set(p.name, c.get_ints(key));
    else
      s.params.set(p.name, c.get_string(key));
  }
  model_kind(s.kind);  // the schema's one_of already refuses others; this names the kinds
  activation_from_string(s.string("activation"));
  return s;
}

OptimizerSpec optimizer_spec(const io::Case& c) {
  OptimizerSpec o;
  o.decoupled = c.get_string("optimizer.kind") == "adamw";
  o.lr = c.get_float("optimizer.lr");
  o.weight_decay = c.get_float("optimizer.weight_decay");
  o.beta1 = c.get_float("optimizer.beta1");
  o.beta2 = c.get_float("optimizer.beta2");
  o.eps = c.get_float("optimizer.eps");
  o.schedule = c.get_string("optimizer.schedule");
  o.step_size = int(c.get_int("optimizer.step_size"));
  o.gamma = c.get_float("optimizer.gamma");
  o.min_lr = c.get_float("optimizer.min_lr");
  o.epochs = int(c.get_int("train.epochs"));
  return o;
}

}  // namespace twinsim::nn
