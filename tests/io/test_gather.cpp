// io::read_gather_runs / gather_runs on run folders made here (no solver runs): the report,
// the /members table's column types, attributes copied by hand (H5Ocopy of many variable-length
// string attributes crashes HDF5 1.10.8), the training set over runs of different sample
// counts, why runs make none, and that a failed gather leaves no file behind.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Gather.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-gather-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

struct FakeRun {
  std::string name;
  std::string solver = "spectral";
  std::string extra;  // more case lines, e.g. "[spectral]\nseed = 3\n"
  std::string status = "ok";
  int samples = 2;  // trajectories of 3 frames of 2 x 2
  int whole = -1;   // complete_frames of /vorticity when not all (a killed run)
  double dt = 0.01;
  std::int64_t first_seed = 0;
  std::string summary;  // more summary.json members, each line ending with ",\n"
};

// A run folder as a spectral run leaves it: case.toml, summary.json, <name>.h5 with the
// series /vorticity ([sample][t][y][x], value = 100 * seed + index) and /snapshot_time.
fs::path make_run(const fs::path& parent, const FakeRun& r) {
  const fs::path dir = parent / r.name;
  fs::create_directories(dir);
  std::ofstream(dir / "case.toml")
      << "[run]\nname = \"" << r.name << "\"\nsolver = \"" << r.solver << "\"\n"
      << r.extra;
  std::ofstream(dir / "summary.json") << "{\n  \"run\": {\n    \"status\": \"inner\"\n  },\n"
                                      << r.summary << "  \"status\": \"" << r.status
                                      << "\"\n}\n";
  io::H5File file = io::H5File::create(dir / (r.name + ".h5"));
  io::write_provenance(file, {"case text", "cpu", "lattice"});
  for (int i = 0; i < 30; ++i)  // enough variable-length strings for dense attribute storage
    file.set_attribute("/", "note_" + std::to_string(i), std::string(40 + i, 'a' + i % 26));
  io::TimeSeries series(file, "/vorticity", {{3, 2, 2}});
  std::vector<std::int64_t> seeds;
  for (int s = 0; s < r.samples; ++s) {
    seeds.push_back(r.first_seed + s);
    std::vector<double> frame(12);
    for (std::size_t k = 0; k < frame.size(); ++k) frame[k] = 100.0 * seeds.back() + double(k);
    series.append(frame.data(), s, 0.0);
  }
  file.set_attribute("/vorticity", "seeds", seeds);
  file.set_attribute("/vorticity", "samples", std::int64_t(r.samples));
  file.set_attribute("/vorticity", "first_sample", r.first_seed);
  file.set_attribute("/vorticity", "dt", r.dt);
  if (r.whole >= 0) file.set_attribute("/vorticity", "complete_frames", std::int64_t(r.whole));
  const std::vector<double> times = {0.0, 0.1, 0.2};
  file.write("/snapshot_time", times.data(), {3});
  return dir;
}

TEST(Gather, ReadsRunFoldersAndSaysWhyOneIsIncomplete) {
  const fs::path root = scratch("read");
  const fs::path ok = make_run(root, {"a"});
  const fs::path cut = make_run(root, {"b", "spectral", "", "interrupted", 2, 1});
  const std::vector<io::GatherRun> runs = io::read_gather_runs({ok, cut});
  EXPECT_TRUE(runs[0].incomplete.empty());
  EXPECT_EQ(runs[0].status, "ok");  // the top-level status, not the nested one
  EXPECT_EQ(runs[1].incomplete, std::vector<std::string>({"status interrupted",
                                                          "/vorticity holds 2 frames of which 1 "
                                                          "are whole"}));
  EXPECT_EQ(runs[1].keys.count("run.name"), 0u);
  EXPECT_EQ(runs[1].keys.at("run.solver"), "'spectral'");  // TOML text
  try {
    io::read_gather_runs({ok, ok});
    ADD_FAILURE() << "two runs of one name";
  } catch (const core::Error& e) {
    EXPECT_EQ(std::string(e.what()), ok.string() + ": a second run named a");
  }
  fs::remove(cut / "summary.json");
  EXPECT_EQ(io::read_gather_run(cut).status, "no summary.json");
  EXPECT_THROW(io::read_gather_run(root), core::Error);  // no case.toml
  std::ofstream(cut / "case.toml") << "[run\n";
  EXPECT_THROW(io::read_gather_run(cut), core::Error);  // toml++'s error, as core::Error
}

TEST(Gather, JoinsSpectralRunsIntoOneTrainingSetAndTabulatesSweptKeys) {
  const fs::path root = scratch("join");
  const fs::path a = make_run(root, {"a", "spectral", "[spectral]\nseed = 0\nnu = 1e-3\n"});
  const fs::path b = make_run(root, {"b", "spectral",
                                     "[spectral]\nseed = 2\nnu = 2e-3\n"
                                     "note = 'x'\n",
                                     "ok", 1, -1, 0.01, 2});
  const fs::path out = root / "all.h5";
  const io::GatherReport report = io::gather_runs(out, io::read_gather_runs({a, b}));
  EXPECT_EQ(report.runs, 2u);
  EXPECT_TRUE(report.training_set);
  EXPECT_EQ(report.trajectories, 3u);
  EXPECT_EQ(report.no_training_set, "");
  EXPECT_EQ(report.swept_keys,
            std::vector<std::string>({"spectral.note", "spectral.nu", "spectral.seed"}));
  EXPECT_FALSE(fs::exists(root / "all.h5.tmp"));

  const io::H5File f = io::H5File::open(out);
  EXPECT_EQ(f.attribute_as<std::int64_t>("/", "gathered_runs"), 2);
  EXPECT_EQ(f.attribute_as<std::vector<std::int64_t>>("/members", "spectral.seed"),
            std::vector<std::int64_t>({0, 2}));
  EXPECT_EQ(f.attribute_as<std::vector<double>>("/members", "spectral.nu"),
            std::vector<double>({1e-3, 2e-3}));
  // A key one run lacks is a text column, "" where absent.
  EXPECT_EQ(f.attribute_as<std::vector<std::string>>("/members", "spectral.note"),
            std::vector<std::string>({"", "x"}));
  EXPECT_EQ(f.attribute_as<std::int64_t>("/members/b", "swept.spectral.seed"), 2);
  EXPECT_EQ(f.attribute_as<std::string>("/members/a", "run_dir"), a.string());
  // Attributes arrive with the objects, the frame views do not.
  EXPECT_EQ(f.attribute_as<std::string>("/members/a", "note_29"), std::string(69, 'a' + 3));
  EXPECT_EQ(f.attribute_as<std::string>("/members/a", "backend"), "cpu");
  EXPECT_EQ(f.attribute_as<double>("/members/b/vorticity", "dt"), 0.01);
  EXPECT_FALSE(f.exists("/members/a/xdmf"));

  const io::Array<double> value = f.read<double>("/vorticity/value");
  EXPECT_EQ(value.shape, io::Shape({3, 3, 2, 2}));
  EXPECT_EQ(value.values[0], 0.0);
  EXPECT_EQ(value.values[12], 100.0);
  EXPECT_EQ(value.values[24 + 5], 205.0);
  EXPECT_EQ(f.attribute_as<std::vector<std::int64_t>>("/vorticity", "seeds"),
            std::vector<std::int64_t>({0, 1, 2}));
  EXPECT_EQ(f.attribute_as<std::int64_t>("/vorticity", "complete_frames"), 3);
  EXPECT_EQ(f.attribute_as<std::vector<std::string>>("/vorticity", "members"),
            std::vector<std::string>({"a", "b"}));
  EXPECT_EQ(f.read<double>("/snapshot_time").values, std::vector<double>({0.0, 0.1, 0.2}));
}

TEST(Gather, SaysWhySpectralRunsMakeNoTrainingSetAndCutsIncompleteRuns) {
  const fs::path root = scratch("none");
  const fs::path a = make_run(root, {"a", "spectral", "[spectral]\ndt = 0.01\n"});
  const fs::path b =
      make_run(root, {"b", "spectral", "[spectral]\ndt = 0.02\n", "interrupted", 2, 1, 0.02});
  const io::GatherReport report = io::gather_runs(root / "x.h5", io::read_gather_runs({a, b}));
  EXPECT_FALSE(report.training_set);
  EXPECT_EQ(report.no_training_set, "a and b differ in dt");
  const io::H5File f = io::H5File::open(root / "x.h5");
  EXPECT_FALSE(f.exists("/vorticity"));
  EXPECT_EQ(f.shape("/members/b/vorticity/value"), io::Shape({1, 3, 2, 2}));
  EXPECT_EQ(f.attribute_as<std::vector<std::string>>("/members", "statuses"),
            std::vector<std::string>({"ok", "interrupted"}));
  // Runs of another solver: nothing to explain.
  const fs::path c = make_run(root, {"c", "md", "[md]\nsteps = 1\n"});
  const fs::path d = make_run(root, {"d", "md", "[md]\nsteps = 2\n"});
  const io::GatherReport md = io::gather_runs(root / "y.h5", io::read_gather_runs({c, d}));
  EXPECT_FALSE(md.training_set);
  EXPECT_EQ(md.no_training_set, "");
  EXPECT_EQ(md.swept_keys, std::vector<std::string>({"md.steps"}));
}

// Runs of one case under two names (replicas): nothing is swept, an empty table; an empty list
// attribute of a run is copied too (HDF5 refuses to read or write one through a null buffer).
TEST(Gather, GathersReplicasWithNothingSwept) {
  const fs::path root = scratch("replicas");
  const fs::path e = make_run(root, {"e", "md"}), g = make_run(root, {"g", "md"});
  io::H5File file = io::H5File::open(e / "e.h5", io::H5File::Mode::read_write);
  file.set_attribute("/", "empty", std::vector<double>{});
  file = io::H5File::open(g / "g.h5");  // closes e.h5
  const io::GatherReport twins = io::gather_runs(root / "z.h5", io::read_gather_runs({e, g}));
  EXPECT_TRUE(twins.swept_keys.empty());
  const io::H5File z = io::H5File::open(root / "z.h5");
  EXPECT_TRUE(z.attribute_as<std::vector<std::string>>("/members", "swept_keys").empty());
  EXPECT_TRUE(z.attribute_as<std::vector<double>>("/members/e", "empty").empty());
}

// A hyper-parameter search: the smallest train.final_test_loss wins, equal losses go to the
// smaller timing.total_s; runs without a test loss (a solver run) never win. The table has
// both columns and the best run's name.
TEST(Gather, NamesTheBestModelBySmallestTestErrorThenCost) {
  const fs::path root = scratch("best");
  const auto summary = [](const char* loss, const char* seconds) {
    return std::string("  \"train\": {\n    \"final_test_loss\": ") + loss +
           "\n  },\n  \"timing\": {\n    \"total_s\": " + seconds + "\n  },\n";
  };
  FakeRun a{"a", "spectral", "[train]\nepochs = 1\n"}, b = a, c = a, d = a;
  a.summary = summary("0.02", "10");
  b.name = "b";
  b.extra = "[train]\nepochs = 2\n";
  b.summary = summary("0.0125", "30");
  c.name = "c";
  c.extra = "[train]\nepochs = 3\n";
  c.summary = summary("0.0125", "20");  // as good as b, cheaper
  d.name = "d";
  d.extra = "[train]\nepochs = 4\n";  // no test loss
  std::vector<io::GatherRun> runs =
      io::read_gather_runs({make_run(root, a), make_run(root, b), make_run(root, c),
                            make_run(root, d)});
  EXPECT_EQ(runs[1].test_error, 0.0125);
  EXPECT_EQ(runs[1].cost_s, 30.0);
  EXPECT_TRUE(std::isnan(runs[3].test_error));
  EXPECT_EQ(io::best_model(runs), 2);
  const io::GatherReport report = io::gather_runs(root / "all.h5", runs);
  EXPECT_EQ(report.best, 2);
  const io::H5File f = io::H5File::open(root / "all.h5");
  EXPECT_EQ(std::get<std::string>(f.attribute("/members", "best")), "c");
  const auto errors = std::get<std::vector<double>>(f.attribute("/members", "test_error"));
  ASSERT_EQ(errors.size(), 4u);
  EXPECT_EQ(errors[0], 0.02);
  EXPECT_TRUE(std::isnan(errors[3]));
  EXPECT_EQ(std::get<std::vector<double>>(f.attribute("/members", "cost_s"))[2], 20.0);
  runs.pop_back();
  runs[0].cost_s = std::nan("");  // no cost: the dearest
  runs[2].test_error = 0.02;
  EXPECT_EQ(io::best_model(runs), 1);
  for (io::GatherRun& r : runs) r.test_error = std::nan("");
  EXPECT_EQ(io::best_model(runs), -1);
}

TEST(Gather, LeavesNoFileWhenItFails) {
  const fs::path root = scratch("fail");
  const std::vector<io::GatherRun> runs =
      io::read_gather_runs({make_run(root, {"a"}), make_run(root, {"b"})});
  fs::remove(root / "b" / "b.h5");
  const fs::path out = root / "all.h5";
  std::ofstream(out) << "an earlier file";
  EXPECT_THROW(io::gather_runs(out, runs), core::Error);
  EXPECT_FALSE(fs::exists(root / "all.h5.tmp"));
  EXPECT_TRUE(fs::exists(out));  // what was there stays until a gather succeeds
  EXPECT_THROW(io::gather_runs(out, {}), core::Error);
}

}  // namespace
}  // namespace twinsim::test
