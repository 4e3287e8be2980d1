// Checkpoints keep every bit of the state, rotate, refuse another case, and a restart's output
// file is cut back to the frames it had at the checkpoint, so appending continues without
// duplicates or gaps.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <complex>
#include <cstring>
#include <fstream>
#include <limits>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Case.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Schema.hpp"
#include "twinsim/io/Xdmf.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-checkpoint-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

io::CheckpointInfo info(std::string case_text = "[run]\nname = \"x\"\n") {
  return {"md", 0, 0.0, "cpu", std::move(case_text)};
}

TEST(Checkpoint, StateKeepsEveryBit) {
  const fs::path dir = scratch("bits");
  io::Checkpoints checkpoints(dir, {}, info());
  const double nan_payload = [] {
    std::uint64_t bits = 0x7ff8dead0000beefULL;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
  }();
  const std::vector<double> d{0.1, -0.0, nan_payload, std::numeric_limits<double>::denorm_min()};
  const std::vector<float> f{1.0f / 3.0f, -7.5e-39f};
  const std::vector<std::uint64_t> u{0, std::numeric_limits<std::uint64_t>::max(), 1ULL << 63};
  const std::vector<std::complex<double>> z{{1.5, -2.25}, {0.1, 0.2}};
  const fs::path file = checkpoints.write(7, 0.35, [&](io::StateWriter& w) {
    w.put("md/position", d);
    w.put("f", f);
    w.put("rng/counter", u);
    w.put("omega_hat", z);
    w.put("thermostat/xi", 0.125);
    w.put("builds", std::int64_t{42});
    w.put("note", std::string("pairs"));
  });
  EXPECT_EQ(file.filename(), "step_0000000007.h5");
  const io::Restart r(dir, "latest");
  EXPECT_EQ(r.step(), 7);
  EXPECT_EQ(r.time(), 0.35);
  EXPECT_EQ(r.info().kind, "md");
  const std::vector<double> d2 = r.state().get<double>("md/position");
  ASSERT_EQ(d2.size(), d.size());
  EXPECT_EQ(std::memcmp(d2.data(), d.data(), d.size() * sizeof(double)), 0);
  EXPECT_EQ(r.state().get<float>("f"), f);
  EXPECT_EQ(r.state().get<std::uint64_t>("rng/counter"), u);
  EXPECT_EQ(r.state().get<std::complex<double>>("omega_hat"), z);
  EXPECT_EQ(r.state().get_double("thermostat/xi"), 0.125);
  EXPECT_EQ(r.state().get_int("builds"), 42);
  EXPECT_EQ(r.state().get_string("note"), "pairs");
  std::vector<double> wrong(3);
  EXPECT_THROW(r.state().get("md/position", wrong.data(), wrong.size()), core::Error);
  EXPECT_THROW(r.state().get<double>("md/velocity"), core::Error);
}

// A restart on another rank count: 3 writers held z slabs of a 2-field [z][y][x] array with
// ghost layers (garbage, never to be copied), this rank holds y rows 2..3 stored [y][x][z] with
// a ghost row below: each owned value comes from the writer that owned it, the ghost stays.
TEST(Checkpoint, SplitAgainTakesEachCellFromTheBlockThatOwnedIt) {
  const std::array<int, 3> n{5, 4, 6};
  const auto value = [](int k, int x, int y, int z) { return 1000.0 * k + x + 10 * y + 100 * z; };
  const auto z_slab = [&](int r) {
    io::Block3 b;
    b.begin = {0, 0, 2 * r};
    b.end = {n[0], n[1], 2 * r + 2};
    b.stored = {n[0], n[1], 2 + (r > 0) + (r < 2)};
    b.offset = {0, 0, r > 0 ? 1 : 0};
    return b;
  };
  const fs::path dir = scratch("split_again");
  std::vector<fs::path> folders;
  for (int r = 0; r < 3; ++r) {
    const fs::path folder = r == 0 ? dir : dir / ("rank_" + std::to_string(r));
    if (r > 0) folders.push_back(folder);
    const io::Block3 b = z_slab(r);
    std::vector<double> stored(2 * b.cells(), -1.0);  // ghost layers: -1
    for (int k = 0; k < 2; ++k)
      for (int z = b.begin[2]; z < b.end[2]; ++z)
        for (int y = 0; y < n[1]; ++y)
          for (int x = 0; x < n[0]; ++x)
            stored[k * b.cells() +
                   (std::size_t(z - b.begin[2] + b.offset[2]) * n[1] + y) * n[0] + x] =
                value(k, x, y, z);
    io::Checkpoints(folder, {}, info()).write(5, 0.5, [&](io::StateWriter& w) {
      w.put("field", stored);
    });
  }
  io::Restart restart(dir, "latest");
  restart.open_parts(folders);
  ASSERT_EQ(restart.state().parts().size(), 3u);
  io::Block3 mine;
  mine.begin = {0, 2, 0};
  mine.end = {n[0], 4, n[2]};
  mine.stored = {n[0], 3, n[2]};
  mine.offset = {0, 1, 0};
  mine.order = {2, 0, 1};  // [y][x][z]
  std::vector<double> got(2 * mine.cells(), 7.0);
  io::split_again(restart.state().parts(), "field", 2, z_slab, mine, got.data());
  for (int k = 0; k < 2; ++k)
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < n[0]; ++x)
        for (int z = 0; z < n[2]; ++z)
          EXPECT_EQ(got[k * mine.cells() + (std::size_t(y) * n[0] + x) * n[2] + z],
                    y == 0 ? 7.0 : value(k, x, y + 1, z))
              << "field " << k << ", x " << x << ", stored row " << y << ", z " << z;
}

TEST(Checkpoint, KeepsTheNewestByStepsAndNothingHalfWritten) {
  const fs::path dir = scratch("rotate");
  io::Checkpoints checkpoints(dir, {10, 0.0, 2}, info());
  EXPECT_EQ(checkpoints.next_step(0), 10);
  EXPECT_EQ(checkpoints.next_step(10), 20);
  EXPECT_EQ(checkpoints.next_step(15), 20);
  const auto save = [](io::StateWriter& w) { w.put("x", 1.0); };
  for (std::int64_t step = 1; step <= 40; ++step) EXPECT_FALSE(checkpoints.at_boundary(step, 0.1 * step, save));
  EXPECT_EQ(checkpoints.written(), 4);
  const std::vector<fs::path> kept = io::list_checkpoints(dir);
  ASSERT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept[0].filename(), "step_0000000030.h5");
  EXPECT_EQ(kept[1].filename(), "step_0000000040.h5");
  // Each kept checkpoint and its whole-file checksum; the rotated ones' went with them.
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"step_0000000030.h5", "step_0000000030.h5.sum",
                                             "step_0000000040.h5", "step_0000000040.h5.sum"}));
  EXPECT_EQ(io::Restart(dir, "latest").step(), 40);
  EXPECT_EQ(io::Restart(dir, kept[0].string()).step(), 30);
}

TEST(Checkpoint, AFileThatFailsItsWholeFileChecksumIsNotOpened) {
  const fs::path dir = scratch("file_checksum");
  io::Checkpoints checkpoints(dir, {10, 0.0, 3}, info());
  const auto save = [](io::StateWriter& w) { w.put("x", std::vector<double>{1.0, 2.0}); };
  for (std::int64_t step : {10, 20, 30}) checkpoints.write(step, 0.1 * double(step), save);
  // One byte changed anywhere (here the last: HDF5 metadata or free space, which the state
  // arrays' checksums do not cover) fails the file before HDF5 reads it.
  const fs::path newest = dir / "step_0000000030.h5";
  {
    std::fstream f(newest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-1, std::ios::end);
    const char last = char(f.get());
    f.seekp(-1, std::ios::end);
    f.put(char(last ^ 0x5a));
  }
  const io::Restart restart(dir, "latest");
  EXPECT_EQ(restart.step(), 20);
  ASSERT_EQ(restart.skipped().size(), 1u);
  EXPECT_NE(restart.skipped()[0].find("does not match its checksum in step_0000000030.h5.sum"),
            std::string::npos) << restart.skipped()[0];
  EXPECT_THROW(io::Restart(dir, newest.string()), core::Error);
  // A checkpoint without its .sum (written before the checksum existed) opens as before.
  fs::remove(dir / "step_0000000020.h5.sum");
  fs::remove(newest);
  EXPECT_EQ(io::Restart(dir, "latest").step(), 20);
}

TEST(Checkpoint, RestartRefusesAnotherCaseOrKindAndAMissingFile) {
  const fs::path dir = scratch("refuse");
  EXPECT_THROW(io::Restart(dir, "latest"), core::Error);
  EXPECT_THROW(io::Restart(dir, (dir / "nope.h5").string()), core::Error);
  io::Schema schema;
  schema.section("md", "MD")
      .key_int("steps", "Steps").default_value(100)
      .key_ints("processors", "Bricks across ranks").default_value(std::vector<std::int64_t>{})
      .layout()
      .key_float("dt", "Step").default_value(0.005);
  const auto the_case = [&](const std::string& text) {
    return io::Case::from_string(text, "case.toml", schema);
  };
  const io::Case written = the_case("[md]\nprocessors = [2, 1, 1]\n");
  io::Checkpoints(dir, {}, info(written.resolved_text())).write(3, 0.0, [](io::StateWriter&) {});
  const io::Restart r(dir, "latest");
  EXPECT_NO_THROW(r.require("md", written));
  EXPECT_THROW(r.require("lbm", written), core::Error);
  // A layout key decides only the split across ranks: a restart may change it.
  EXPECT_NO_THROW(r.require("md", the_case("[md]\nprocessors = [1, 2, 1]\n")));
  EXPECT_NO_THROW(r.require("md", the_case("[md]\n")));
  for (const auto& [text, difference] :
       {std::pair<std::string, std::string>{"[md]\nsteps = 200\nprocessors = [2, 1, 1]\n",
                                            "line 2: checkpoint has 'steps = 100', this case has "
                                            "'steps = 200'"},
        {"[md]\nprocessors = [1, 2, 1]\ndt = 0.001\n",
         "line 4: checkpoint has 'dt = 0.005', this case has 'dt = 0.001'"}}) {
    try {
      r.require("md", the_case(text));
      FAIL() << "another case was accepted: " << text;
    } catch (const core::Error& e) {
      EXPECT_NE(std::string(e.what()).find(difference), std::string::npos) << e.what();
    }
  }
}

TEST(Checkpoint, RestartCutsTheOutputBackToTheCheckpointFrames) {
  const fs::path dir = scratch("output");
  const fs::path h5 = dir / "run.h5";
  io::Checkpoints checkpoints(dir / "checkpoints", {}, info());
  {
    io::H5File file = io::H5File::create(h5);
    io::FieldSeries field(file, "rho", {2, 3}, 1, io::DType::f64, "", "");
    io::TimeSeries energy(file, "/observables/energy", {{1}, io::DType::f64, "", "", "unit"});
    io::XdmfWriter xdmf(dir / "run.xmf", h5);
    for (int t = 0; t < 5; ++t) {
      const std::vector<double> v(6, double(t));
      const io::FrameView view = field.append(v.data(), t * 10, 0.5 * t);
      xdmf.add_step(0.5 * t, io::CoRectMesh{{1, 2, 3}, {0, 0, 0}, {1, 1, 1}}, {{"rho", view}});
      if (t < 4) energy.append(&v[0], t * 10, 0.5 * t);  // energy lags: 3 frames at the checkpoint
      if (t == 2) checkpoints.write(20, 1.0, [](io::StateWriter&) {}, &file);
    }
  }
  const io::Restart r(dir / "checkpoints", "latest");
  io::H5File file = r.reopen_output(h5);
  EXPECT_EQ(io::series_frames(file),
            (std::map<std::string, std::uint64_t>{{"/fields/rho", 3}, {"/observables/energy", 3}}));
  EXPECT_EQ(file.shape("/fields/rho/value"), (io::Shape{3, 2, 3}));
  EXPECT_FALSE(file.exists(io::frame_view_path("/fields/rho", 3)));
  io::FieldSeries field(file, "rho", {2, 3}, 1, io::DType::f64, "", "");
  EXPECT_EQ(field.frames(), 3u);
  io::XdmfWriter xdmf(dir / "run.xmf", h5, 3);
  EXPECT_EQ(xdmf.steps(), 3u);
  const std::vector<double> v(6, 33.0);
  const io::FrameView view = field.append(v.data(), 30, 1.5);
  xdmf.add_step(1.5, io::CoRectMesh{{1, 2, 3}, {0, 0, 0}, {1, 1, 1}}, {{"rho", view}});
  EXPECT_EQ(view.path, io::frame_view_path("/fields/rho", 3));
  EXPECT_EQ(file.read<std::int64_t>("/fields/rho/step").values,
            (std::vector<std::int64_t>{0, 10, 20, 30}));
  EXPECT_EQ(file.read_frame<double>("/fields/rho/value", 3).values, v);
  EXPECT_EQ(file.read_frame<double>("/fields/rho/value", 2).values, std::vector<double>(6, 2.0));
  EXPECT_EQ(xdmf.steps(), 4u);
  EXPECT_EQ(xdmf.xml().find("step4"), std::string::npos);
  EXPECT_THROW(io::XdmfWriter(dir / "run.xmf", h5, 9), core::Error);
}

}  // namespace
}  // namespace twinsim::test
