#pragma once
// The model file (HDF5): architecture, parameters, normalisation and the data it learned from,
// enough for `twinsim predict` to rebuild the network with no case file. Training checkpoints
// are not model files: they are io::Checkpoints files (Learner::save plus the trainer's
// position), see Train.hpp.
//   /            attributes: format "twinsim-surrogate 1", case (the training case), version
//   /model       attributes: kind, in_channels, out_channels, one per hyper-parameter (the
//                ModelSpec's map: width, modes, layers, projection, hidden, activation for the
//                models registered today; an empty integer list is absent), precision,
//                parameter_count. Files from before the map have the same attributes.
//   /normalisation attributes: mean, std (z = (w - mean) / std, for inputs and outputs);
//                tables: column_mean, column_std, one per column (inputs, then outputs)
//   /data        attributes: kind (trajectories | table), files, dataset, train_samples,
//                test_samples, frames, ny, nx; tables: inputs, outputs (column names)
//   /training    attributes: epoch (epochs done), optimizer_steps, loss, status ("complete", or
//                "interrupted": written when a stop signal ended training early)
//   /parameters/<name>  one dataset per parameter
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Spec.hpp"
#include "twinsim/surrogates/Tensor.hpp"

namespace twinsim::nn {

struct ModelFile {
  ModelSpec model;
  std::string precision = "float32";
  Normalisation normalisation;
  std::string data_kind = "trajectories";
  std::vector<std::string> inputs, outputs;             // table columns
  std::vector<Normalisation> column_normalisation;      // table: inputs, then outputs
  std::vector<std::string> files;
  std::string dataset;
  std::int64_t train_samples = 0, test_samples = 0, frames = 0, ny = 0, nx = 0;
  std::int64_t epoch = 0, optimizer_steps = 0;
  std::string loss = "relative_l2";
  std::string status = "complete";
  std::string case_text;
  std::vector<NamedArray<double>> arrays;
};

// Written to a temporary name and renamed: a killed run leaves the previous file intact.
void write_model_file(const std::filesystem::path& path, const ModelFile& model);
ModelFile read_model_file(const std::filesystem::path& path);

}  // namespace twinsim::nn
