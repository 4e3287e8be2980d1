// HDF5 output: attributes round-trip, time series lay out as documented (H5MD for particles),
// per-frame views alias the series without copies, errors name the call and the object, and a
// killed writer leaves every completed frame readable.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/core/versions.hpp"
#include "twinsim/io/Hdf5.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;
using io::DType;
using io::H5File;
using io::Shape;

fs::path scratch(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / "twinsim-test-hdf5";
  fs::create_directories(dir);
  const fs::path p = dir / (name + ".h5");
  fs::remove(p);
  return p;
}

// Frame t of a field, value at flat index i: distinct everywhere, exact in float32.
double field_value(std::uint64_t t, std::uint64_t i) { return 1000.0 * double(t) + double(i); }

std::vector<double> field_frame(std::uint64_t t, std::uint64_t n) {
  std::vector<double> v(n);
  for (std::uint64_t i = 0; i < n; ++i) v[i] = field_value(t, i);
  return v;
}

TEST(H5File, AttributesRoundTripOnRootAndDatasets) {
  const fs::path p = scratch("attributes");
  const std::string case_text(100000, 'x');  // beyond HDF5's 64 KiB compact attribute limit
  {
    H5File f = H5File::create(p);
    f.set_attribute("/", "case", case_text);
    f.set_attribute("/", "dt", 0.005);
    f.set_attribute("/", "steps", std::int64_t{1000});
    f.set_attribute("/", "origin", std::vector<double>{0.0, -1.5, 2.0});
    f.set_attribute("/", "shape", std::vector<std::int64_t>{4, 5, 6});
    f.set_attribute("/", "names", std::vector<std::string>{"rho", "u"});
    f.set_attribute("/", "dt", 0.01);  // replaces
    const double edges[3] = {1.0, 2.0, 3.0};
    f.write("/a/b/edges", edges, {3});
    f.set_attribute("/a/b/edges", "unit", "nm");
    f.set_attribute("/a", "note", "group attribute");
  }
  const H5File f = H5File::open(p);
  EXPECT_EQ(f.attribute_as<std::string>("/", "case"), case_text);
  EXPECT_EQ(f.attribute_as<double>("/", "dt"), 0.01);
  EXPECT_EQ(f.attribute_as<std::int64_t>("/", "steps"), 1000);
  EXPECT_EQ(f.attribute_as<std::vector<double>>("/", "origin"),
            (std::vector<double>{0.0, -1.5, 2.0}));
  EXPECT_EQ(f.attribute_as<std::vector<std::int64_t>>("/", "shape"),
            (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(f.attribute_as<std::vector<std::string>>("/", "names"),
            (std::vector<std::string>{"rho", "u"}));
  EXPECT_EQ(f.attribute_as<std::string>("/a/b/edges", "unit"), "nm");
  EXPECT_EQ(f.attribute_as<std::string>("/a", "note"), "group attribute");
  EXPECT_EQ(f.read<double>("/a/b/edges").values, (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_TRUE(f.exists("/a/b"));
  EXPECT_FALSE(f.exists("/a/c/d"));
}

// A gather of runs that differ only in name writes an empty swept_keys list.
TEST(H5File, EmptyListAttributesRoundTrip) {
  const fs::path p = scratch("empty_lists");
  {
    H5File f = H5File::create(p);
    f.set_attribute("/", "names", std::vector<std::string>{});
    f.set_attribute("/", "values", std::vector<double>{});
    f.set_attribute("/", "counts", std::vector<std::int64_t>{});
  }
  const H5File f = H5File::open(p);
  EXPECT_TRUE(f.attribute_as<std::vector<std::string>>("/", "names").empty());
  EXPECT_TRUE(f.attribute_as<std::vector<double>>("/", "values").empty());
  EXPECT_TRUE(f.attribute_as<std::vector<std::int64_t>>("/", "counts").empty());
}

TEST(H5File, ProvenanceOnTheRoot) {
  const fs::path p = scratch("provenance");
  {
    H5File f = H5File::create(p);
    io::write_provenance(f, {"[run]\nsteps = 10\n", "cpu", "lj"});
  }
  const H5File f = H5File::open(p);
  EXPECT_EQ(f.attribute_as<std::string>("/", "case"), "[run]\nsteps = 10\n");
  EXPECT_EQ(f.attribute_as<std::string>("/", "backend"), "cpu");
  EXPECT_EQ(f.attribute_as<std::string>("/", "units"), "lj");
  EXPECT_EQ(f.attribute_as<std::string>("/", "twinsim_version"), core::version());
}

TEST(H5File, ErrorsNameTheCallAndObjectAndPrintNothing) {
  const fs::path p = scratch("errors");
  testing::internal::CaptureStderr();
  try {
    H5File::open(p);
    ADD_FAILURE() << "opening a missing file did not throw";
  } catch (const core::Error& e) {  // said plainly, without HDF5's internals
    EXPECT_EQ(std::string(e.what()), "no file '" + p.string() + "'");
  }
  {
    std::ofstream(p.string() + ".txt") << "not HDF5";
    try {
      H5File::open(p.string() + ".txt");
      ADD_FAILURE() << "opening a text file did not throw";
    } catch (const core::Error& e) {
      EXPECT_EQ(std::string(e.what()), "'" + p.string() + ".txt' is not an HDF5 file (or is damaged)");
    }
  }
  H5File f = H5File::create(p);
  try {
    f.read<double>("/fields/missing/value");
    ADD_FAILURE() << "reading a missing dataset did not throw";
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("H5Dopen2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/fields/missing/value"), std::string::npos);
  }
  EXPECT_THROW(f.attribute("/", "absent"), core::Error);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");  // HDF5's own stack print is off
}

TEST(FieldSeries, Appends3DScalarFramesWithTimeStepAndViews) {
  const fs::path p = scratch("field3d");
  const Shape grid{3, 4, 5};
  const std::uint64_t n = io::element_count(grid);
  {
    H5File f = H5File::create(p);
    io::FieldSeries rho(f, "rho", grid, 1, DType::f32, "kg/m^3", "s");
    for (std::uint64_t t = 0; t < 3; ++t) {
      const io::FrameView v = rho.append(field_frame(t, n).data(), std::int64_t(10 * t), 0.5 * t);
      EXPECT_EQ(v.path, "/xdmf/fields/rho/" + std::to_string(t));
      EXPECT_EQ(v.shape, grid);
      EXPECT_EQ(v.type, DType::f32);
    }
    EXPECT_EQ(rho.frames(), 3u);
    EXPECT_THROW(rho.append(field_frame(0, n).data(), 2, 40, 2.0), core::Error);  // rows
  }
  const H5File f = H5File::open(p);
  const auto value = f.read<float>("/fields/rho/value");
  EXPECT_EQ(value.shape, (Shape{3, 3, 4, 5}));
  for (std::uint64_t t = 0; t < 3; ++t)
    for (std::uint64_t i = 0; i < n; i += 7)
      ASSERT_EQ(value.values[t * n + i], field_value(t, i));
  EXPECT_EQ(f.read<std::int64_t>("/fields/rho/step").values,
            (std::vector<std::int64_t>{0, 10, 20}));
  EXPECT_EQ(f.read<double>("/fields/rho/time").values, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(f.attribute_as<std::string>("/fields/rho/value", "units"), "kg/m^3");
  EXPECT_EQ(f.attribute_as<std::string>("/fields/rho/time", "units"), "s");
  // The views read the same numbers as the series' slices.
  const auto frame1 = f.read_frame<double>("/fields/rho/value", 1);
  const auto view1 = f.read<double>(io::frame_view_path("/fields/rho", 1));
  EXPECT_EQ(frame1.shape, grid);
  EXPECT_EQ(view1.shape, grid);
  EXPECT_EQ(view1.values, frame1.values);
  EXPECT_EQ(view1.values, field_frame(1, n));
}

TEST(FieldSeries, Appends2DVectorsAsTrailingAxisOfThree) {
  const fs::path p = scratch("field2d");
  {
    H5File f = H5File::create(p);
    io::FieldSeries u(f, "u", {4, 6}, 3, DType::f64, "m/s", "s");
    u.append(field_frame(0, 72).data(), 0, 0.0);
    u.append(field_frame(1, 72).data(), 1, 0.1);
  }
  H5File f = H5File::open(p, H5File::Mode::read_write);
  EXPECT_EQ(f.shape("/fields/u/value"), (Shape{2, 4, 6, 3}));
  EXPECT_EQ(f.read_frame<double>("/fields/u/value", 1).values, field_frame(1, 72));
  EXPECT_THROW(io::FieldSeries(f, "line", {4}, 1, DType::f64, "", ""), core::Error);
  EXPECT_THROW(io::FieldSeries(f, "tensor", {4, 6}, 9, DType::f64, "", ""), core::Error);
}

TEST(ParticleSeries, FollowsH5mdWithChangingParticleCounts) {
  const fs::path p = scratch("h5md");
  {
    H5File f = H5File::create(p);
    io::ParticleSeries atoms(f, "all", {true, true, false}, "nm", "ps", "Ada");
    atoms.add("position", 3, DType::f64, "nm", 4);
    atoms.add("species", 1, DType::i32, "", 4);
    for (std::uint64_t t = 0; t < 3; ++t) {
      const std::uint64_t n = 4 + t;  // particles enter
      const std::vector<double> x = field_frame(t, 3 * n);
      std::vector<std::int32_t> species(n);
      for (std::uint64_t i = 0; i < n; ++i) species[i] = std::int32_t(i % 2);
      const io::FrameView v = atoms["position"].append(x.data(), n, std::int64_t(t), 0.1 * t);
      EXPECT_EQ(v.shape, (Shape{n, 3}));
      EXPECT_EQ(atoms["species"].append(species.data(), n, std::int64_t(t), 0.1 * t).shape,
                Shape{n});
      atoms.append_edges({10.0, 11.0, 12.0 + double(t)}, std::int64_t(t), 0.1 * t);
      const io::FrameView c = atoms.connectivity(n);
      EXPECT_EQ(c.shape, Shape{n});
    }
    EXPECT_THROW(atoms["charge"], core::Error);
    EXPECT_THROW(atoms["position"].append(field_frame(0, 12).data(), 0, 0.0), core::Error);
  }
  const H5File f = H5File::open(p);
  EXPECT_EQ(f.attribute_as<std::vector<std::int64_t>>("/h5md", "version"),
            (std::vector<std::int64_t>{1, 1}));
  EXPECT_EQ(f.attribute_as<std::string>("/h5md/creator", "name"), "Twinsim");
  EXPECT_EQ(f.attribute_as<std::string>("/h5md/creator", "version"), core::version());
  EXPECT_EQ(f.attribute_as<std::string>("/h5md/author", "name"), "Ada");
  EXPECT_EQ(f.attribute_as<std::int64_t>("/particles/all/box", "dimension"), 3);
  EXPECT_EQ(f.attribute_as<std::vector<std::string>>("/particles/all/box", "boundary"),
            (std::vector<std::string>{"periodic", "periodic", "none"}));
  const auto edges = f.read<double>("/particles/all/box/edges/value");
  EXPECT_EQ(edges.shape, (Shape{3, 3, 3}));  // [t][3][3]: edge vectors, diagonal here
  EXPECT_EQ(edges.values[2 * 9 + 8], 14.0);   // frame 2, z
  EXPECT_EQ(edges.values[2 * 9 + 4], 11.0);   // frame 2, y
  EXPECT_EQ(edges.values[2 * 9 + 1], 0.0);    // frame 2, off-diagonal
  EXPECT_EQ(f.attribute_as<std::string>("/particles/all/box/edges/value", "unit"), "nm");
  EXPECT_EQ(f.read<std::int64_t>("/particles/all/box/edges/step").values.size(), 3u);
  EXPECT_EQ(f.attribute_as<std::string>("/particles/all/position/value", "unit"), "nm");
  EXPECT_EQ(f.attribute_as<std::string>("/particles/all/position/time", "unit"), "ps");

  // value holds the largest count; rows a frame lacked are NaN (-1 for integers).
  const auto x = f.read<double>("/particles/all/position/value");
  EXPECT_EQ(x.shape, (Shape{3, 6, 3}));
  EXPECT_EQ(x.values[0 * 18 + 3 * 3 + 2], field_value(0, 11));  // frame 0, particle 3, z
  EXPECT_TRUE(std::isnan(x.values[0 * 18 + 4 * 3]));             // frame 0 has 4 particles
  EXPECT_EQ(f.read_frame<std::int32_t>("/particles/all/species/value", 0).values,
            (std::vector<std::int32_t>{0, 1, 0, 1, -1, -1}));
  EXPECT_EQ(f.read<std::int64_t>("/particles/all/position/step").values,
            (std::vector<std::int64_t>{0, 1, 2}));
  // Views have exactly the frame's particles.
  const auto v0 = f.read<double>(io::frame_view_path("/particles/all/position", 0));
  EXPECT_EQ(v0.shape, (Shape{4, 3}));
  EXPECT_EQ(v0.values, field_frame(0, 12));
  EXPECT_EQ(f.read<std::int64_t>("/xdmf/particles/all/connectivity/5").values,
            (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(f.read<std::int64_t>("/xdmf/particles/all/connectivity/6").shape, Shape{6});
}

// --- A killed writer --------------------------------------------------------------------------

constexpr std::uint64_t k_cells = 8 * 8 * 8;

// Writes frames until stop_after (then kills itself) or forever; signals each frame on fd.
[[noreturn]] void write_frames_in_child(const fs::path& p, std::uint64_t stop_after, int fd) {
  H5File f = H5File::create(p);
  io::FieldSeries rho(f, "rho", {8, 8, 8}, 1, DType::f64, "1", "s");
  for (std::uint64_t t = 0; t < 100000; ++t) {
    rho.append(field_frame(t, k_cells).data(), std::int64_t(t), double(t));
    if (fd >= 0 && write(fd, "x", 1) != 1) _exit(3);
    if (t + 1 == stop_after) raise(SIGKILL);  // no destructor, no H5Fclose
  }
  _exit(2);
}

// Every frame in the file is complete and right; returns how many there are.
std::uint64_t check_frames(const fs::path& p) {
  const H5File f = H5File::open(p);
  const auto value = f.read<double>("/fields/rho/value");
  const auto step = f.read<std::int64_t>("/fields/rho/step");
  const auto time = f.read<double>("/fields/rho/time");
  // Frames past complete_frames may be partial (killed mid-frame); those before must be whole.
  const auto frames = std::uint64_t(f.attribute_as<std::int64_t>("/fields/rho", "complete_frames"));
  EXPECT_GE(value.shape.at(0), frames);
  EXPECT_GE(step.values.size(), frames);
  EXPECT_GE(time.values.size(), frames);
  for (std::uint64_t t = 0; t < frames; ++t) {
    EXPECT_EQ(step.values[t], std::int64_t(t));
    EXPECT_EQ(time.values[t], double(t));
    for (std::uint64_t i = 0; i < k_cells; ++i)
      if (value.values[t * k_cells + i] != field_value(t, i)) {
        ADD_FAILURE() << "frame " << t << " value " << i << " is wrong";
        return frames;
      }
    EXPECT_EQ(f.read<double>(io::frame_view_path("/fields/rho", t)).values.size(), k_cells);
  }
  return frames;
}

TEST(KilledWriter, LeavesTheFramesWrittenBeforeItsDeath) {
  const fs::path p = scratch("self-kill");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) write_frames_in_child(p, 5, -1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  EXPECT_EQ(check_frames(p), 5u);
}

TEST(KilledWriter, KilledFromOutsideMidRunKeepsEveryCompletedFrame) {
  const fs::path p = scratch("outside-kill");
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    write_frames_in_child(p, 0, pipe_fds[1]);
  }
  close(pipe_fds[1]);
  char byte = 0;
  for (int frames = 0; frames < 20; ++frames) ASSERT_EQ(read(pipe_fds[0], &byte, 1), 1);
  kill(child, SIGKILL);  // most likely in the middle of a later frame
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_GE(check_frames(p), 20u);
}

}  // namespace
}  // namespace twinsim::test
