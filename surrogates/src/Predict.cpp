// twinsim predict: a trained model rolled forward from the first in_frames snapshots of each
// trajectory, written like a solver's output (HDF5 + XDMF), with its error against the
// reference trajectory per rollout step and its speed against the solver that made the data;
// or a table model at state points, against the data and an equation of state.
#include "twinsim/surrogates/Predict.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/Log.hpp"
#include "twinsim/core/Timers.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/RunDirectory.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/loop/Provenance.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"

namespace twinsim::nn {

namespace {

// [predict] is optional: its keys, or their schema defaults when the section is absent.
struct PredictSettings {
  std::string model;
  std::string samples = "test";
  std::int64_t steps = 0;
  std::int64_t batch = 20;
  std::string reference = "none";
  std::vector<std::int64_t> grid = {11, 11};
};
PredictSettings predict_settings(const io::Case& c) {
  PredictSettings p;
  if (!c.has_section("predict")) return p;
  p.model = c.get_string("predict.model");
  p.samples = c.get_string("predict.samples");
  p.steps = c.get_int("predict.steps");
  p.batch = c.get_int("predict.batch");
  p.reference = c.get_string("predict.reference");
  p.grid = c.get_ints("predict.grid");
  return p;
}

// The model file's network on the run's backend.
template <class Real>
std::unique_ptr<Learner<Real>> trained_learner(const ModelFile& model,
                                               core::Backend backend) {
  OptimizerSpec unused;
  auto learner =
      make_learner<Real>(backend, model.model, unused, loss_from_string(model.loss), 0);
  std::vector<NamedArray<Real>> state;
  for (const auto& a : model.arrays)
    state.push_back({a.name, a.shape, std::vector<Real>(a.values.begin(), a.values.end())});
  learner->set_state(state);
  return learner;
}

// Deviations of column k of a [n][columns] table from another: mean and largest |a - b| / |b|,
// and the root mean square of a - b. Returns the mean.
double set_errors(io::Summary& summary, const std::string& key, const std::vector<double>& a,
                  const std::vector<double>& b, std::size_t columns, std::size_t k) {
  double sum_rel = 0, max_rel = 0, sum_sq = 0;
  const std::size_t n = a.size() / columns;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = a[i * columns + k] - b[i * columns + k];
    const double rel = std::abs(d) / std::abs(b[i * columns + k]);
    sum_rel += rel;
    max_rel = std::max(max_rel, rel);
    sum_sq += d * d;
  }
  summary.set(key + ".mean_relative", sum_rel / double(n));
  summary.set(key + ".max_relative", max_rel);
  summary.set(key + ".rms", std::sqrt(sum_sq / double(n)));
  return sum_rel / double(n);
}

// A table model at state points: the case's test rows (or training rows), compared with the
// values the ensemble measured there and, with a reference, with an equation of state; and on a
// grid over the training rows' input range. predictions.csv holds every point.
template <class Real>
void predict_table(const io::Case& c, const ModelFile& model, core::Backend backend,
                   const io::RunDirectory& dir, const References& references,
                   io::Summary& summary) {
  const PredictSettings settings = predict_settings(c);
  const TableSet all = read_table(c.get_strings("data.files"), model.inputs, model.outputs);
  const std::int64_t n_train = c.get_int("data.train_samples");
  const bool on_test = settings.samples == "test";
  const std::int64_t first = on_test ? n_train : 0;
  const std::int64_t count = on_test ? c.get_int("data.test_samples") : n_train;
  if (count < 1) throw core::Error("predict.samples = \"test\" but data.test_samples = 0");
  if (first + count > all.row_count())
    throw core::Error(
        fmt::format("the table has {} rows, fewer than the {} the case's [data] "
                    "split needs",
                    all.row_count(), first + count));
  const TableSet train = select_rows(all, 0, n_train);
  const TableSet rows = select_rows(all, first, count);
  const std::size_t ni = model.inputs.size(), no = model.outputs.size();
  if (settings.grid.size() != ni)
    throw core::Error(
        fmt::format("predict.grid has {} sizes for {} inputs", settings.grid.size(), ni));
  auto learner = trained_learner<Real>(model, backend);
  const int batch = int(settings.batch);

  // inputs [n][ni] -> outputs [n][no], in the units of the data.
  const auto evaluate = [&](const std::vector<double>& x) {
    const std::int64_t n = std::int64_t(x.size() / ni);
    std::vector<Real> z(x.size());
    for (std::size_t i = 0; i < x.size(); ++i)
      z[i] = Real(model.column_normalisation[i % ni].apply(x[i]));
    const std::vector<Real> y = learner->rollout(z, n, 1, 1, 1, batch);
    std::vector<double> out(y.size());
    for (std::size_t i = 0; i < y.size(); ++i)
      out[i] = model.column_normalisation[ni + i % no].undo(double(y[i]));
    return out;
  };
  std::vector<double> x_rows, y_rows;
  for (std::int64_t r = 0; r < count; ++r) {
    for (std::size_t k = 0; k < ni; ++k) x_rows.push_back(rows.at(r, std::int64_t(k)));
    for (std::size_t k = 0; k < no; ++k) y_rows.push_back(rows.at(r, std::int64_t(ni + k)));
  }
  // The grid: settings.grid[k] points over the training rows' range of input k, first input
  // slowest.
  std::vector<double> lo(ni, 1e300), hi(ni, -1e300);
  for (std::int64_t r = 0; r < n_train; ++r)
    for (std::size_t k = 0; k < ni; ++k) {
      lo[k] = std::min(lo[k], train.at(r, std::int64_t(k)));
      hi[k] = std::max(hi[k], train.at(r, std::int64_t(k)));
    }
  std::int64_t grid_points = 1;
  for (std::int64_t g : settings.grid) grid_points *= g;
  std::vector<double> x_grid;
  for (std::int64_t p = 0; p < grid_points; ++p)
    for (std::size_t k = 0, stride = std::size_t(grid_points); k < ni; ++k) {
      const std::int64_t g = settings.grid[k];
      stride /= std::size_t(g);
      const std::int64_t i = (p / std::int64_t(stride)) % g;
      x_grid.push_back(g > 1 ? lo[k] + (hi[k] - lo[k]) * double(i) / double(g - 1) : lo[k]);
    }

  evaluate(std::vector<double>(x_rows.begin(), x_rows.begin() + ni));  // warm-up
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<double> mlp_rows = evaluate(x_rows);
  const double predict_s = core::seconds_since(t0);
  const std::vector<double> mlp_grid = evaluate(x_grid);

  std::vector<Reference> reference;
  if (settings.reference != "none") {
    const auto maker = references.find(settings.reference);
    if (maker == references.end())
      throw core::Error(fmt::format("predict.reference = \"{}\": this program has no such "
                                    "reference", settings.reference));
    reference = maker->second(model);
  }
  const auto reference_at = [&](const std::vector<double>& x) {
    std::vector<double> out;
    for (std::size_t i = 0; i < x.size() / ni; ++i)
      for (const Reference& f : reference) out.push_back(f(&x[i * ni]));
    return out;
  };
  const std::vector<double> ref_rows = reference_at(x_rows), ref_grid = reference_at(x_grid);

  for (std::size_t k = 0; k < no; ++k) {
    const std::string col = column_label(model.outputs[k]);
    const double vs_data =
        set_errors(summary, "points." + col + ".mlp_vs_data", mlp_rows, y_rows, no, k);
    spdlog::info("{}: MLP vs data at {} {} points: mean relative error {:.3g}", model.outputs[k],
                 count, settings.samples, vs_data);
    if (reference.empty()) continue;
    const double vs_ref =
        set_errors(summary, "points." + col + ".mlp_vs_reference", mlp_rows, ref_rows, no, k);
    const double data_ref =
        set_errors(summary, "points." + col + ".data_vs_reference", y_rows, ref_rows, no, k);
    const double grid_ref =
        set_errors(summary, "grid." + col + ".mlp_vs_reference", mlp_grid, ref_grid, no, k);
    spdlog::info(
        "{}: against {}: MLP {:.3g}, data {:.3g} at those points; MLP {:.3g} over the "
        "{}-point grid",
        model.outputs[k], settings.reference, vs_ref, data_ref, grid_ref, grid_points);
  }
  summary.set("points.split", settings.samples);
  summary.set("points.count", count);
  summary.set("grid.count", grid_points);
  summary.set("reference", settings.reference);
  summary.set("model.parameters", learner->parameter_count());
  summary.set("model.precision", model.precision);
  summary.set("timing.predict_s", predict_s);
  summary.set("timing.per_point_s", predict_s / double(count));

  std::ofstream csv(dir.file("predictions.csv"));
  csv << "set,name";
  for (const std::string& in : model.inputs) csv << ',' << in;
  for (const char* what : {"data", "mlp", "reference"})
    for (const std::string& o : model.outputs) csv << ',' << o << ':' << what;
  csv << '\n';
  const auto row = [&](const std::string& set, const std::string& name, const double* x,
                       const double* data, const double* mlp, const double* ref) {
    csv << set << ',' << name;
    for (std::size_t k = 0; k < ni; ++k) csv << fmt::format(",{:.10g}", x[k]);
    for (const double* v : {data, mlp, ref})
      for (std::size_t k = 0; k < no; ++k)
        csv << (v ? fmt::format(",{:.10g}", v[k]) : std::string(","));
    csv << '\n';
  };
  for (std::int64_t r = 0; r < count; ++r)
    row(settings.samples, rows.rows[std::size_t(r)], &x_rows[std::size_t(r) * ni],
        &y_rows[std::size_t(r) * no], &mlp_rows[std::size_t(r) * no],
        reference.empty() ? nullptr : &ref_rows[std::size_t(r) * no]);
  for (std::int64_t p = 0; p < grid_points; ++p)
    row("grid", "", &x_grid[std::size_t(p) * ni], nullptr, &mlp_grid[std::size_t(p) * no],
        reference.empty() ? nullptr : &ref_grid[std::size_t(p) * no]);
}

// The solver's throughput from the summary.json beside a data file (sample-steps per second),
// or 0 when there is none.
double solver_sample_steps_per_s(const std::filesystem::path& data_file) {
  std::ifstream in(data_file.parent_path() / "summary.json");
  if (!in) return 0;
  std::stringstream text;
  text << in.rdbuf();
  std::smatch m;
  const std::string s = text.str();
  if (!std::regex_search(s, m, std::regex("\"sample_steps_per_s\"\\s*:\\s*([-+0-9.eE]+)")))
    return 0;
  return std::stod(m[1]);
}

template <class Real>
void predict_trajectories(const io::Case& c, const ModelFile& model, core::Backend backend,
                          const io::RunDirectory& dir, io::Summary& summary) {
  const std::string name = c.get_string("run.name");
  const ModelSpec& spec = model.model;
  const int in = spec.in_channels, out = spec.out_channels;

  // The same split the model was trained with, from the files the case names.
  const std::vector<std::string> files = c.get_strings("data.files");
  const TrajectorySet all = read_trajectories(files, c.get_string("data.dataset"));
  const PredictSettings settings = predict_settings(c);
  const bool on_test = settings.samples == "test";
  const std::int64_t n_train = c.get_int("data.train_samples");
  const std::int64_t first = on_test ? n_train : 0;
  const std::int64_t count = on_test ? c.get_int("data.test_samples") : n_train;
  if (count < 1) throw core::Error("predict.samples = \"test\" but data.test_samples = 0");
  if (first + count > all.shape.samples)
    throw core::Error(
        fmt::format("the data hold {} samples, fewer than the {} the case's "
                    "[data] split needs",
                    all.shape.samples, first + count));
  if (all.shape.ny != model.ny || all.shape.nx != model.nx)
    spdlog::warn("the model was trained on {} x {} fields, these are {} x {}", model.ny, model.nx,
                 all.shape.ny, all.shape.nx);
  const TrajectorySet ref = select_samples(all, first, count);
  const std::int64_t frames = ref.shape.frames, ny = ref.shape.ny, nx = ref.shape.nx;
  const std::int64_t plane = ny * nx;
  const int max_steps = int((frames - in) / out);
  const int steps = settings.steps > 0 ? int(settings.steps) : max_steps;
  if (steps < 1 || steps > max_steps)
    throw core::Error(
        fmt::format("predict.steps = {}: trajectories of {} frames allow 1 to {} "
                    "steps after the {} input frames",
                    steps, frames, max_steps, in));

  auto learner = trained_learner<Real>(model, backend);

  const Normalisation& norm = model.normalisation;
  std::vector<Real> initial(std::size_t(count * in * plane));
  for (std::int64_t s = 0; s < count; ++s)
    for (std::int64_t i = 0; i < in * plane; ++i)
      initial[std::size_t(s * in * plane + i)] =
          Real(norm.apply(ref.values[std::size_t(s * frames * plane + i)]));
  const int batch = int(settings.batch);
  {  // warm-up (FFT plans, allocations) outside the timing, on one batch
    const std::int64_t b = std::min<std::int64_t>(count, batch);
    learner->rollout(std::vector<Real>(initial.begin(), initial.begin() + b * in * plane), b, ny,
                     nx, 1, batch);
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::vector<Real> z = learner->rollout(initial, count, ny, nx, steps, batch);
  const double rollout_s = core::seconds_since(t0);

  // Predicted trajectories in physical units: the input frames, then the rollout.
  const std::int64_t out_frames = in + std::int64_t(steps) * out;
  std::vector<double> pred(std::size_t(count * out_frames * plane));
  for (std::int64_t s = 0; s < count; ++s) {
    for (std::int64_t i = 0; i < in * plane; ++i)
      pred[std::size_t(s * out_frames * plane + i)] =
          ref.values[std::size_t(s * frames * plane + i)];
    for (std::int64_t i = 0; i < std::int64_t(steps) * out * plane; ++i)
      pred[std::size_t(s * out_frames * plane + in * plane + i)] =
          norm.undo(double(z[std::size_t(s * steps * out * plane + i)]));
  }

  // Errors: per rollout frame, mean over samples of |p - w| / |w| on the grid; and Li et al.'s
  // figure, the relative L2 of each sample's whole rollout (all predicted frames), mean over
  // samples.
  std::vector<double> per_frame(std::size_t(steps) * out, 0.0);
  double full = 0;
  for (std::int64_t s = 0; s < count; ++s) {
    double d_all = 0, n_all = 0;
    for (std::int64_t f = 0; f < std::int64_t(steps) * out; ++f) {
      double d = 0, n = 0;
      for (std::int64_t p = 0; p < plane; ++p) {
        const double w = ref.values[std::size_t((s * frames + in + f) * plane + p)];
        const double e = pred[std::size_t((s * out_frames + in + f) * plane + p)] - w;
        d += e * e;
        n += w * w;
      }
      per_frame[std::size_t(f)] += std::sqrt(d / n) / double(count);
      d_all += d;
      n_all += n;
    }
    full += std::sqrt(d_all / n_all) / double(count);
  }

  // Output like a solver's: the predicted dataset [sample][frame][y][x], and sample 0's
  // prediction, reference and error as field series with an XDMF sidecar for ParaView.
  io::H5File h5 = io::H5File::create(dir.file(name + ".h5"));
  io::write_provenance(h5, {c.resolved_text(), std::string(core::to_string(backend)),
                            "those of the training data"});
  loop::write_start(h5, backend);
  const std::uint64_t uf = std::uint64_t(out_frames), uy = std::uint64_t(ny),
                      ux = std::uint64_t(nx);
  io::TimeSeries series(h5, "/vorticity", {{uf, uy, ux}, io::DType::f64, "", ""});
  for (std::int64_t s = 0; s < count; ++s)
    series.append(pred.data() + s * out_frames * plane, first + s, 0.0);
  h5.set_attribute("/vorticity", "axes", std::string("sample time y x"));
  h5.set_attribute("/vorticity", "source",
                   fmt::format("surrogate {}: frames [0, {}) copied from the reference, the rest "
                               "predicted",
                               spec.kind, in));
  io::FieldSeries f_pred(h5, "vorticity_predicted", {uy, ux}, 1, io::DType::f64, "", "time");
  io::FieldSeries f_ref(h5, "vorticity_reference", {uy, ux}, 1, io::DType::f64, "", "time");
  io::FieldSeries f_err(h5, "vorticity_error", {uy, ux}, 1, io::DType::f64, "", "time");
  io::XdmfWriter xdmf(dir.file(name + ".xmf"), h5.path());
  const io::CoRectMesh mesh{
      {1, uy, ux}, {0, 0, 0}, {1.0 / double(nx), 1.0 / double(ny), 1.0 / double(nx)}};
  std::vector<double> err(static_cast<std::size_t>(plane));
  for (std::int64_t f = 0; f < out_frames; ++f) {
    const double t = double(f) * ref.snapshot_interval;
    const double* p = pred.data() + f * plane;
    const double* w = ref.values.data() + f * plane;
    for (std::int64_t i = 0; i < plane; ++i) err[std::size_t(i)] = p[i] - w[i];
    xdmf.add_step(t, mesh,
                  {{"vorticity_predicted", f_pred.append(p, f, t)},
                   {"vorticity_reference", f_ref.append(w, f, t)},
                   {"vorticity_error", f_err.append(err.data(), f, t)}});
  }
  loop::write_end(h5, "ok");

  std::ofstream csv(dir.file("rollout_errors.csv"));
  csv << "step,frame,time,relative_l2\n";
  for (std::size_t f = 0; f < per_frame.size(); ++f) {
    const std::int64_t frame = in + std::int64_t(f);
    csv << fmt::format("{},{},{:.6g},{:.8g}\n", f / std::size_t(out) + 1, frame,
                       double(frame) * ref.snapshot_interval, per_frame[f]);
    summary.set(fmt::format("rollout.relative_l2_by_step.{:03d}", f + 1), per_frame[f]);
  }
  const double step_s = rollout_s / (double(steps) * double(count));
  summary.set("rollout.samples", count);
  summary.set("rollout.steps", steps);
  summary.set("rollout.split", settings.samples);
  summary.set("rollout.relative_l2_full", full);
  summary.set("rollout.relative_l2_first_step", per_frame.front());
  summary.set("rollout.relative_l2_last_step", per_frame.back());
  summary.set("model.parameters", learner->parameter_count());
  summary.set("model.precision", model.precision);
  summary.set("timing.rollout_s", rollout_s);
  summary.set("timing.surrogate_step_per_sample_s", step_s);
  spdlog::info(
      "{} samples x {} steps in {:.3g} s ({:.3g} ms per step per sample); relative L2 "
      "over the rollout {:.4f} (first step {:.4f}, last {:.4f})",
      count, steps, rollout_s, 1e3 * step_s, full, per_frame.front(), per_frame.back());
  const double solver_rate = solver_sample_steps_per_s(files.front());
  if (solver_rate > 0 && ref.solver_dt > 0 && ref.snapshot_interval > 0) {
    const double solver_step_s =
        std::round(ref.snapshot_interval / ref.solver_dt) * double(out) / solver_rate;
    summary.set("timing.solver_step_per_sample_s", solver_step_s);
    summary.set("timing.speedup_vs_solver", solver_step_s / step_s);
    spdlog::info(
        "the solver took {:.3g} ms per sample for the same {} time unit(s): speed-up "
        "{:.3g}x",
        1e3 * solver_step_s, ref.snapshot_interval * out, solver_step_s / step_s);
  } else {
    spdlog::info("no solver timing beside {} (summary.json): no speed-up reported", files.front());
  }
}

}  // namespace

int predict(const io::Case& c, const loop::Request& request, const References& references) {
  const auto start = std::chrono::steady_clock::now();
  const std::string name = c.get_string("run.name");
  const PredictSettings settings = predict_settings(c);
  const std::filesystem::path model_path = settings.model.empty()
                                               ? std::filesystem::path("runs") / name / "model.h5"
                                               : std::filesystem::path(settings.model);
  // Everything that can be refused is refused before the run folder exists.
  ModelFile model;
  core::Backend backend;
  std::optional<io::RunDirectory> dir;
  try {
    model = read_model_file(model_path);
    backend = core::select_backend(c.get_string("run.device"));
    dir.emplace(request.out.empty() ? std::filesystem::path("runs") / (name + "_predict")
                                    : std::filesystem::path(request.out),
                request.overwrite);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return loop::k_exit_bad_input;
  }
  dir->write_text("case.toml", c.resolved_text());
  core::log_to_file(dir->file("log.txt").string());
  spdlog::info("twinsim {}: predict {} with {} on {}", core::version(), name, model_path.string(),
               core::to_string(backend));
  io::Summary s;
  std::string failure;
  try {
    const bool table = model.data_kind == "table";
    if (model.precision == "float64")
      table ? predict_table<double>(c, model, backend, *dir, references, s)
            : predict_trajectories<double>(c, model, backend, *dir, s);
    else
      table ? predict_table<float>(c, model, backend, *dir, references, s)
            : predict_trajectories<float>(c, model, backend, *dir, s);
  } catch (const core::Error& e) {
    failure = e.what();
    spdlog::error("{}", e.what());
  }
  s.set("model.file", model_path.string());
  loop::set_provenance(s, name, "command", "predict", backend, failure, start);
  dir->write_summary(s);
  return failure.empty() ? loop::k_exit_ok : loop::k_exit_failed;
}

}  // namespace twinsim::nn
