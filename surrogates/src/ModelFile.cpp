#include "twinsim/surrogates/ModelFile.hpp"

#include <fmt/format.h>

#include <variant>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/surrogates/Models.hpp"

namespace twinsim::nn {

namespace {
constexpr const char* k_format = "twinsim-surrogate 1";
}

void write_model_file(const std::filesystem::path& path, const ModelFile& m) {
  io::write_through_temporary(path, [&](const std::filesystem::path& tmp) {
    io::H5File f = io::H5File::create(tmp);
    f.set_attribute("/", "format", std::string(k_format));
    f.set_attribute("/", "case", m.case_text);
    f.create_group("/model");
    const ModelSpec& s = m.model;
    f.set_attribute("/model", "kind", s.kind);
    f.set_attribute("/model", "in_channels", std::int64_t(s.in_channels));
    f.set_attribute("/model", "out_channels", std::int64_t(s.out_channels));
    // The hyper-parameters, whatever the model: one attribute each, in the map's order.
    for (const auto& [name, value] : s.params.items()) {
      if (const auto* l = std::get_if<std::vector<std::int64_t>>(&value)) {
        if (!l->empty())  // an empty attribute is not portable HDF5: absent means empty
          f.set_attribute("/model", name, *l);
      } else {
        const std::string& key = name;  // a structured binding cannot be captured (C++17)
        std::visit([&](const auto& v) { f.set_attribute("/model", key, io::AttributeValue(v)); },
                   value);
      }
    }
    f.set_attribute("/model", "precision", m.precision);
    std::int64_t count = 0;
    for (const auto& a : m.arrays)
      if (a.name.find(".adam_") == std::string::npos) count += std::int64_t(a.values.size());
    f.set_attribute("/model", "parameter_count", count);
    f.create_group("/normalisation");
    f.set_attribute("/normalisation", "mean", m.normalisation.mean);
    f.set_attribute("/normalisation", "std", m.normalisation.std);
    f.set_attribute("/normalisation", "definition",
                    std::string("z = (w - mean) / std for every input and output frame"));
    if (m.data_kind == "table") {
      std::vector<double> mean, std;
      for (const Normalisation& n : m.column_normalisation) {
        mean.push_back(n.mean);
        std.push_back(n.std);
      }
      f.set_attribute("/normalisation", "column_mean", mean);
      f.set_attribute("/normalisation", "column_std", std);
      f.set_attribute("/normalisation", "definition",
                      std::string("z = (w - column_mean[c]) / column_std[c] for column c "
                                  "(inputs, then outputs)"));
    }
    f.create_group("/data");
    f.set_attribute("/data", "kind", m.data_kind);
    if (m.data_kind == "table") {
      f.set_attribute("/data", "inputs", m.inputs);
      f.set_attribute("/data", "outputs", m.outputs);
    }
    f.set_attribute("/data", "files", m.files);
    f.set_attribute("/data", "dataset", m.dataset);
    f.set_attribute("/data", "train_samples", m.train_samples);
    f.set_attribute("/data", "test_samples", m.test_samples);
    f.set_attribute("/data", "frames", m.frames);
    f.set_attribute("/data", "ny", m.ny);
    f.set_attribute("/data", "nx", m.nx);
    f.create_group("/training");
    f.set_attribute("/training", "epoch", m.epoch);
    f.set_attribute("/training", "optimizer_steps", m.optimizer_steps);
    f.set_attribute("/training", "loss", m.loss);
    f.set_attribute("/training", "status", m.status);
    f.create_group("/parameters");
    std::vector<std::string> names;
    const io::DType type = m.precision == "float64" ? io::DType::f64 : io::DType::f32;
    for (const auto& a : m.arrays) {
      io::Shape shape(a.shape.begin(), a.shape.end());
      // Moments are kept in float64 so a resumed run continues exactly in either precision.
      f.write("/parameters/" + a.name, a.values.data(), shape,
              a.name.find(".adam_") == std::string::npos ? type : io::DType::f64);
      names.push_back(a.name);
    }
    f.set_attribute("/parameters", "names", names);
    f.flush();
  });
}

ModelFile read_model_file(const std::filesystem::path& path) {
  if (!std::filesystem::is_regular_file(path))
    throw core::Error(
        fmt::format("model file {} not found; train one first (twinsim train "
                    "CASE) or set predict.model",
                    path.string()));
  io::H5File f = io::H5File::open(path);
  std::string format;
  try {
    format = f.attribute_as<std::string>("/", "format");
  } catch (const std::exception&) {
  }
  if (format != k_format)
    throw core::Error(
        fmt::format("{} is not a Twinsim surrogate model file (format '{}', "
                    "expected '{}')",
                    path.string(), format, k_format));
  ModelFile m;
  m.case_text = f.attribute_as<std::string>("/", "case");
  const auto get_int = [&](const char* g, const char* k) {
    return f.attribute_as<std::int64_t>(g, k);
  };
  ModelSpec& s = m.model;
  s.kind = f.attribute_as<std::string>("/model", "kind");
  s.in_channels = int(get_int("/model", "in_channels"));
  s.out_channels = int(get_int("/model", "out_channels"));
  // Generic: every registered hyper-parameter name (Models.hpp) the file has, whatever its
  // kind, which reads files written before the map (fixed attributes of the same names) alike.
  // An absent integer list is an empty one (the writer omits empty lists); another absent name
  // keeps its kind's default.
  for (const HyperParam& p : model_hyper_parameters()) {
    io::AttributeValue v;
    try {
      v = f.attribute("/model", p.name);
    } catch (const core::Error&) {
      if (std::holds_alternative<std::vector<std::int64_t>>(p.default_value))
        s.params.set(p.name, std::vector<std::int64_t>{});
      continue;
    }
    if (const auto* i = std::get_if<std::int64_t>(&v))
      s.params.set(p.name, *i);
    else if (const auto* d = std::get_if<double>(&v))
      s.params.set(p.name, *d);
    else if (const auto* l = std::get_if<std::vector<std::int64_t>>(&v))
      s.params.set(p.name, *l);
    else if (const auto* t = std::get_if<std::string>(&v))
      s.params.set(p.name, *t);
    else
      throw core::Error(fmt::format("{}: /model attribute {} is not a hyper-parameter value",
                                    path.string(), p.name));
  }
  model_kind(s.kind);
  activation_from_string(s.string("activation"));
  m.precision = f.attribute_as<std::string>("/model", "precision");
  m.normalisation.mean = f.attribute_as<double>("/normalisation", "mean");
  m.normalisation.std = f.attribute_as<double>("/normalisation", "std");
  try {
    m.data_kind = f.attribute_as<std::string>("/data", "kind");
  } catch (const core::Error&) {  // absent: a file from before tables
  }
  if (m.data_kind == "table") {
    m.inputs = f.attribute_as<std::vector<std::string>>("/data", "inputs");
    m.outputs = f.attribute_as<std::vector<std::string>>("/data", "outputs");
    const auto mean = f.attribute_as<std::vector<double>>("/normalisation", "column_mean");
    const auto std = f.attribute_as<std::vector<double>>("/normalisation", "column_std");
    for (std::size_t c = 0; c < mean.size(); ++c)
      m.column_normalisation.push_back({mean[c], std[c]});
  }
  m.files = f.attribute_as<std::vector<std::string>>("/data", "files");
  m.dataset = f.attribute_as<std::string>("/data", "dataset");
  m.train_samples = get_int("/data", "train_samples");
  m.test_samples = get_int("/data", "test_samples");
  m.frames = get_int("/data", "frames");
  m.ny = get_int("/data", "ny");
  m.nx = get_int("/data", "nx");
  m.epoch = get_int("/training", "epoch");
  m.optimizer_steps = get_int("/training", "optimizer_steps");
  m.loss = f.attribute_as<std::string>("/training", "loss");
  try {
    m.status = f.attribute_as<std::string>("/training", "status");
  } catch (const core::Error&) {  // absent: a file from before training could be interrupted
  }
  for (const std::string& name : f.attribute_as<std::vector<std::string>>("/parameters", "names")) {
    io::Array<double> a = f.read<double>("/parameters/" + name);
    m.arrays.push_back({name, Shape(a.shape.begin(), a.shape.end()), std::move(a.values)});
  }
  return m;
}

}  // namespace twinsim::nn
