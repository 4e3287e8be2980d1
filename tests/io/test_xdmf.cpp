// XDMF sidecars: the XML follows the forms ParaView's three XDMF readers accept, and the sample
// runs (XdmfSamples.*) write the files that read_xdmf.py opens with VTK's readers and h5py.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/io/Xdmf.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;
using io::Center;
using io::DType;
using io::H5File;
using io::Shape;

// The sample files land where ctest points TWINSIM_XDMF_SAMPLES (read_xdmf.py reads them).
fs::path output_dir(const std::string& name) {
  const char* samples = std::getenv("TWINSIM_XDMF_SAMPLES");
  const fs::path dir =
      samples ? fs::path(samples) : fs::temp_directory_path() / "twinsim-test-xdmf";
  fs::create_directories(dir);
  fs::remove(dir / (name + ".h5"));
  fs::remove(dir / (name + ".xmf"));
  return dir;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The values tests/io/data/xdmf/*.json expect: frame t, flat index i (C order, so VTK's point
// or cell id), component c. Exact in float32.
template <class T>
std::vector<T> frame(std::uint64_t t, std::uint64_t n, std::uint64_t components, double scale) {
  std::vector<T> v(n * components);
  for (std::uint64_t i = 0; i < n; ++i)
    for (std::uint64_t c = 0; c < components; ++c)
      v[i * components + c] = T(1000.0 * double(t) + scale * double(i) + 0.25 * double(c));
  return v;
}

constexpr double k_times[3] = {0.0, 0.5, 1.25};
constexpr std::int64_t k_steps[3] = {0, 10, 25};

// A grid run over 3 steps on a mesh of `points` (z y x): node scalar and vector fields on
// node_grid, a cell scalar on cell_grid; an empty grid leaves those fields out.
std::string write_grid_sample(const std::string& name, const io::CoRectMesh& mesh,
                              const Shape& node_grid, const Shape& cell_grid) {
  const fs::path dir = output_dir(name);
  H5File f = H5File::create(dir / (name + ".h5"));
  io::write_provenance(f, {"[grid]\n", "cpu", "si"});
  std::vector<io::FieldSeries> nodes, cells;
  if (!node_grid.empty()) {
    nodes.emplace_back(f, "rho", node_grid, 1, DType::f32, "kg/m^3", "s");
    nodes.emplace_back(f, "u", node_grid, 3, DType::f64, "m/s", "s");
  }
  if (!cell_grid.empty()) cells.emplace_back(f, "p", cell_grid, 1, DType::f64, "Pa", "s");
  const std::uint64_t n = io::element_count(node_grid), m = io::element_count(cell_grid);
  io::XdmfWriter xmf(dir / (name + ".xmf"), dir / (name + ".h5"));
  for (int t = 0; t < 3; ++t) {
    std::vector<io::XdmfAttribute> attributes;
    if (!nodes.empty()) {
      attributes.push_back(
          {"rho", nodes[0].append(frame<float>(t, n, 1, 1.0).data(), k_steps[t], k_times[t])});
      attributes.push_back(
          {"u", nodes[1].append(frame<double>(t, n, 3, 1.0).data(), k_steps[t], k_times[t])});
    }
    if (!cells.empty())
      attributes.push_back(
          {"p", cells[0].append(frame<double>(t, m, 1, 0.5).data(), k_steps[t], k_times[t]),
           Center::cell});
    xmf.add_step(k_times[t], mesh, attributes);
  }
  return read_text(dir / (name + ".xmf"));
}

// Particles entering: 4, 5, 6 of them; positions, velocities and species.
std::string write_particle_sample(const std::string& name) {
  const fs::path dir = output_dir(name);
  H5File f = H5File::create(dir / (name + ".h5"));
  io::write_provenance(f, {"[particles]\n", "cpu", "gromacs"});
  io::ParticleSeries atoms(f, "all", {true, true, true}, "nm", "ps", "Twinsim tests");
  io::TimeSeries& x = atoms.add("position", 3, DType::f64, "nm", 4);
  io::TimeSeries& v = atoms.add("velocity", 3, DType::f32, "nm ps-1", 4);
  io::TimeSeries& s = atoms.add("species", 1, DType::i32, "", 4);
  io::XdmfWriter xmf(dir / (name + ".xmf"), dir / (name + ".h5"));
  for (int t = 0; t < 3; ++t) {
    const std::uint64_t n = 4 + t;
    const io::FrameView xv = x.append(frame<double>(t, n, 3, 1.0).data(), n, k_steps[t],
                                      k_times[t]);
    const io::FrameView vv = v.append(frame<float>(t, n, 3, 10.0).data(), n, k_steps[t],
                                      k_times[t]);
    std::vector<std::int32_t> species(n);
    for (std::uint64_t i = 0; i < n; ++i) species[i] = std::int32_t(i % 2);
    const io::FrameView sv = s.append(species.data(), n, k_steps[t], k_times[t]);
    atoms.append_edges({10.0, 10.0, 10.0}, k_steps[t], k_times[t]);
    xmf.add_step(k_times[t], io::PointSet{atoms.connectivity(n), xv},
                 {{"velocity", vv}, {"species", sv}});
  }
  return read_text(dir / (name + ".xmf"));
}

TEST(XdmfSamples, Grid3D) {
  const std::string xml = write_grid_sample(
      "grid3d", {{3, 4, 5}, {-1.0, 0.5, 2.0}, {0.25, 0.5, 1.0}}, {3, 4, 5}, {2, 3, 4});
  EXPECT_TRUE(contains(xml, R"(<Xdmf Version="2.0">)"));
  EXPECT_TRUE(contains(xml, R"(GridType="Collection" CollectionType="Temporal")"));
  EXPECT_TRUE(contains(xml, R"(<Topology TopologyType="3DCoRectMesh" Dimensions="3 4 5"/>)"));
  EXPECT_TRUE(contains(xml, R"(GeometryType="ORIGIN_DXDYDZ")"));
  EXPECT_TRUE(contains(xml, ">-1 0.5 2</DataItem>"));  // origin z y x
  EXPECT_TRUE(contains(xml, ">0.25 0.5 1</DataItem>"));  // spacing z y x
  EXPECT_TRUE(contains(xml, R"(<Time Value="1.25"/>)"));
  // Each step points at a dataset of its own, by bare file name.
  EXPECT_TRUE(contains(xml, R"(Precision="4" Format="HDF">grid3d.h5:/xdmf/fields/rho/2<)"));
  EXPECT_TRUE(contains(xml, R"(<DataItem Dimensions="3 4 5 3" NumberType="Float")"));
  EXPECT_TRUE(contains(xml, R"(AttributeType="Vector" Center="Node")"));
  EXPECT_TRUE(contains(xml, R"(<Attribute Name="p" AttributeType="Scalar" Center="Cell">)"));
  EXPECT_FALSE(contains(xml, "HyperSlab"));
}

TEST(XdmfSamples, Grid2DNodesOnAOnePointThickMesh) {
  const std::string xml =
      write_grid_sample("grid2d", {{1, 4, 6}, {0.0, 0.5, 2.0}, {1.0, 0.5, 1.0}}, {4, 6}, {});
  EXPECT_TRUE(contains(xml, R"(<Topology TopologyType="3DCoRectMesh" Dimensions="1 4 6"/>)"));
  EXPECT_TRUE(contains(xml, R"(<DataItem Dimensions="1 4 6 3" )"));  // views are 3D
}

TEST(XdmfSamples, Grid2DCellsOnAOneCellThickMesh) {
  const std::string xml =
      write_grid_sample("grid2d_cells", {{2, 4, 6}, {0.0, 0.5, 2.0}, {1.0, 0.5, 1.0}}, {}, {3, 5});
  EXPECT_TRUE(contains(xml, R"(<Topology TopologyType="3DCoRectMesh" Dimensions="2 4 6"/>)"));
  EXPECT_TRUE(contains(xml, R"(<DataItem Dimensions="1 3 5" )"));
}

TEST(XdmfSamples, ParticlesArePolyverticesWithConnectivity) {
  const std::string xml = write_particle_sample("particles");
  EXPECT_TRUE(contains(xml, R"(TopologyType="Polyvertex" NumberOfElements="6" )"
                            R"(NodesPerElement="1">)"));
  EXPECT_TRUE(contains(xml, R"(<DataItem Dimensions="6" NumberType="Int" Precision="8" )"
                            R"(Format="HDF">particles.h5:/xdmf/particles/all/connectivity/6<)"));
  EXPECT_TRUE(contains(xml, R"(<Geometry GeometryType="XYZ">)"));
  EXPECT_TRUE(contains(xml, R"(<DataItem Dimensions="5 3" NumberType="Float" Precision="8" )"
                            R"(Format="HDF">particles.h5:/xdmf/particles/all/position/1<)"));
}

TEST(XdmfWriter, RewritesTheWholeFileThroughARename) {
  const fs::path dir = output_dir("rename");
  H5File f = H5File::create(dir / "rename.h5");
  io::FieldSeries rho(f, "rho", {2, 2}, 1, DType::f64, "1", "s");
  io::XdmfWriter xmf(dir / "rename.xmf", dir / "rename.h5");
  const io::CoRectMesh mesh{{1, 2, 2}, {0, 0, 0}, {1, 1, 1}};
  for (int t = 0; t < 2; ++t) {
    xmf.add_step(t, mesh, {{"rho", rho.append(frame<double>(t, 4, 1, 1).data(), t, t)}});
    EXPECT_EQ(read_text(dir / "rename.xmf"), xmf.xml());
    EXPECT_FALSE(fs::exists(dir / "rename.xmf.tmp"));
  }
  EXPECT_EQ(xmf.steps(), 2u);
}

TEST(XdmfWriter, RejectsMismatchedAttributesAndDataElsewhere) {
  const fs::path dir = output_dir("reject");
  const io::CoRectMesh mesh{{1, 4, 6}, {0, 0, 0}, {1, 1, 1}};
  io::XdmfWriter xmf(dir / "reject.xmf", dir / "reject.h5");
  const io::FrameView nodes{"/xdmf/fields/a/0", {4, 6}, DType::f64};
  EXPECT_THROW(xmf.add_step(0.0, mesh, {{"a", nodes, Center::cell}}), core::Error);
  EXPECT_THROW(xmf.add_step(0.0, mesh, {{"a", {"/x", {4, 6, 2}, DType::f64}}}), core::Error);
  const io::FrameView cells{"/xdmf/fields/c/0", {1, 3, 5}, DType::f64};  // needs {2, 4, 6}
  EXPECT_THROW(xmf.add_step(0.0, mesh, {{"c", cells, Center::cell}}), core::Error);
  EXPECT_NO_THROW(xmf.add_step(0.0, mesh, {{"a", nodes}}));
  EXPECT_THROW(io::XdmfWriter(dir / "a.xmf", dir / "sub" / "a.h5"), core::Error);
  const io::FrameView bad_positions{"/x", {4, 2}, DType::f64};
  EXPECT_THROW(xmf.add_step(0.0, io::PointSet{{"/c", {4}, DType::i64}, bad_positions}, {}),
               core::Error);
}

}  // namespace
}  // namespace twinsim::test
