// twinsim predict CASE: a trained model rolled forward from the first in_frames snapshots of
// each trajectory, written like a solver's output (HDF5 + XDMF), with its error against the
// reference trajectory per rollout step and its speed against the solver that made the data.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <regex>
#include <sstream>

#include "run_support.hpp"
#include "surrogate_case.hpp"
#include "twinsim/core/Error.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"
#include "twinsim/surrogates/Data.hpp"
#include "twinsim/surrogates/Learner.hpp"
#include "twinsim/surrogates/ModelFile.hpp"

namespace twinsim::app {

namespace {

// [predict] is optional: its keys, or their schema defaults when the section is absent.
struct PredictSettings {
  std::string model;
  std::string samples = "test";
  std::int64_t steps = 0;
  std::int64_t batch = 20;
};
PredictSettings predict_settings(const io::Case& c) {
  PredictSettings p;
  if (!c.has_section("predict")) return p;
  p.model = c.get_string("predict.model");
  p.samples = c.get_string("predict.samples");
  p.steps = c.get_int("predict.steps");
  p.batch = c.get_int("predict.batch");
  return p;
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
void predict_with(const io::Case& c, const nn::ModelFile& model, const SurrogateRun& run,
                  io::Summary& summary) {
  const std::string name = c.get_string("run.name");
  const nn::ModelSpec& spec = model.model;
  const int in = spec.in_channels, out = spec.out_channels;

  // The same split the model was trained with, from the files the case names.
  const std::vector<std::string> files = c.get_strings("data.files");
  const nn::TrajectorySet all = nn::read_trajectories(files, c.get_string("data.dataset"));
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
  const nn::TrajectorySet ref = nn::select_samples(all, first, count);
  const std::int64_t frames = ref.shape.frames, ny = ref.shape.ny, nx = ref.shape.nx;
  const std::int64_t plane = ny * nx;
  const int max_steps = int((frames - in) / out);
  const int steps = settings.steps > 0 ? int(settings.steps) : max_steps;
  if (steps < 1 || steps > max_steps)
    throw core::Error(
        fmt::format("predict.steps = {}: trajectories of {} frames allow 1 to {} "
                    "steps after the {} input frames",
                    steps, frames, max_steps, in));

  nn::OptimizerSpec unused;
  auto learner =
      nn::make_learner<Real>(run.backend, spec, unused, nn::loss_from_string(model.loss), 0);
  std::vector<nn::NamedArray<Real>> state;
  for (const auto& a : model.arrays)
    state.push_back({a.name, a.shape, std::vector<Real>(a.values.begin(), a.values.end())});
  learner->set_state(state);

  const nn::Normalisation& norm = model.normalisation;
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
  const double rollout_s = seconds_since(t0);

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
  const io::RunDirectory& dir = *run.dir;
  io::H5File h5 = io::H5File::create(dir.file(name + ".h5"));
  io::write_provenance(h5, {c.resolved_text(), std::string(core::to_string(run.backend)),
                            "those of the training data"});
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

int predict(const RunOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  const std::optional<io::Case> c = load_surrogate_case(options);
  if (!c) return k_exit_bad_input;
  const std::string name = c->get_string("run.name");
  const std::filesystem::path model_path = predict_settings(*c).model.empty()
                                               ? std::filesystem::path("runs") / name / "model.h5"
                                               : std::filesystem::path(predict_settings(*c).model);
  nn::ModelFile model;
  try {
    model = nn::read_model_file(model_path);
  } catch (const core::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return k_exit_bad_input;
  }
  std::optional<SurrogateRun> run = open_surrogate_run(*c, options, "_predict");
  if (!run) return k_exit_bad_input;
  spdlog::info("twinsim {}: predict {} with {} on {}", core::version(), name, model_path.string(),
               core::to_string(run->backend));
  io::Summary s;
  bool ok = true;
  std::string failure;
  try {
    if (model.precision == "float64")
      predict_with<double>(*c, model, *run, s);
    else
      predict_with<float>(*c, model, *run, s);
  } catch (const core::Error& e) {
    ok = false;
    failure = e.what();
    spdlog::error("{}", e.what());
  }
  s.set("model.file", model_path.string());
  set_provenance(s, name, "command", "predict", run->backend, ok, failure, seconds_since(start));
  run->dir->write_summary(s);
  return ok ? k_exit_ok : k_exit_failed;
}

}  // namespace twinsim::app
