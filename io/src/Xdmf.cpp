#include "twinsim/io/Xdmf.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>
#include <iterator>
#include <system_error>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/RunDirectory.hpp"

namespace twinsim::io {
namespace {

namespace fs = std::filesystem;

std::string number_type(DType type) {
  switch (type) {
    case DType::f32: return R"(NumberType="Float" Precision="4")";
    case DType::f64: return R"(NumberType="Float" Precision="8")";
    case DType::i32: return R"(NumberType="Int" Precision="4")";
    case DType::i64: return R"(NumberType="Int" Precision="8")";
  }
  return "";
}

// Shortest text that reads back as the same doubles.
std::string triple(const std::array<double, 3>& v) {
  return fmt::format("{} {} {}", v[0], v[1], v[2]);
}

}  // namespace

XdmfWriter::XdmfWriter(fs::path xmf_path, const fs::path& h5_path)
    : m_xmf_path(std::move(xmf_path)), m_h5_name(h5_path.filename().string()) {
  const fs::path xmf_dir = fs::absolute(m_xmf_path).parent_path().lexically_normal();
  const fs::path h5_dir = fs::absolute(h5_path).parent_path().lexically_normal();
  if (xmf_dir != h5_dir)
    throw core::Error(fmt::format("XDMF sidecar {} must lie beside its data file {}",
                                  m_xmf_path.string(), h5_path.string()));
}

XdmfWriter::XdmfWriter(fs::path xmf_path, const fs::path& h5_path, std::size_t keep_steps)
    : XdmfWriter(std::move(xmf_path), h5_path) {
  std::ifstream in(m_xmf_path);
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const std::string open = "      <Grid Name=\"step", close = "      </Grid>\n";
  for (std::size_t at = text.find(open); at != std::string::npos && m_grids.size() < keep_steps;
       at = text.find(open, at)) {
    const std::size_t end = text.find(close, at);
    if (end == std::string::npos) break;
    m_grids.push_back(text.substr(at, end + close.size() - at));
    at = end;
  }
  if (m_grids.size() < keep_steps)
    throw core::Error(fmt::format("{} holds {} steps; the restart needs its first {}",
                                  m_xmf_path.string(), m_grids.size(), keep_steps));
  save();
}

XdmfWriter XdmfWriter::for_run(fs::path xmf_path, const fs::path& h5_path, bool restarted,
                               std::size_t frames) {
  return restarted ? XdmfWriter(std::move(xmf_path), h5_path, frames)
                   : XdmfWriter(std::move(xmf_path), h5_path);
}

std::string XdmfWriter::data_item(const FrameView& view) const {
  return fmt::format(R"(<DataItem Dimensions="{}" {} Format="HDF">{}:{}</DataItem>)",
                     fmt::join(view.shape, " "), number_type(view.type), m_h5_name, view.path);
}

void XdmfWriter::add_step(double time, const CoRectMesh& mesh,
                          const std::vector<XdmfAttribute>& attributes) {
  const auto& p = mesh.points;
  const std::string topology = fmt::format(
      "        <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"{} {} {}\"/>\n"
      "        <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
      "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
      "Format=\"XML\">{}</DataItem>\n"
      "          <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" "
      "Format=\"XML\">{}</DataItem>\n"
      "        </Geometry>\n",
      p[0], p[1], p[2], triple(mesh.origin), triple(mesh.spacing));
  // A one-point-thick mesh (2D node data) has no cells that VTK's Xdmf2 reader can fill.
  const bool thick = p[0] > 1 && p[1] > 1 && p[2] > 1;
  add_grid(time, topology, attributes, p[0] * p[1] * p[2],
           thick ? (p[0] - 1) * (p[1] - 1) * (p[2] - 1) : 0);
}

void XdmfWriter::add_step(double time, const PointSet& particles,
                          const std::vector<XdmfAttribute>& attributes) {
  const std::uint64_t n = particles.positions.shape.empty() ? 0 : particles.positions.shape[0];
  if (particles.positions.shape != Shape{n, 3} || particles.connectivity.shape != Shape{n})
    throw core::Error(fmt::format("{}: particle positions must be N x 3 with N indices",
                                  particles.positions.path));
  const std::string topology = fmt::format(
      "        <Topology TopologyType=\"Polyvertex\" NumberOfElements=\"{}\" "
      "NodesPerElement=\"1\">\n"
      "          {}\n"
      "        </Topology>\n"
      "        <Geometry GeometryType=\"XYZ\">\n"
      "          {}\n"
      "        </Geometry>\n",
      n, data_item(particles.connectivity), data_item(particles.positions));
  add_grid(time, topology, attributes, n, n);
}

void XdmfWriter::add_grid(double time, const std::string& topology_and_geometry,
                          const std::vector<XdmfAttribute>& attributes, std::uint64_t nodes,
                          std::uint64_t cells) {
  std::string grid = fmt::format(
      "      <Grid Name=\"step{}\" GridType=\"Uniform\">\n        <Time Value=\"{}\"/>\n{}",
      m_grids.size(), time, topology_and_geometry);
  for (const XdmfAttribute& a : attributes) {
    if (a.center == Center::cell && cells == 0)
      throw core::Error(fmt::format(
          "XDMF attribute {}: cell data needs a mesh of 2 or more points on every axis (2D: "
          "{{2, ny + 1, nx + 1}} points for ny x nx cells)", a.name));
    const std::uint64_t count = a.center == Center::node ? nodes : cells;
    const std::uint64_t values = element_count(a.data.shape);
    const bool vector = !a.data.shape.empty() && a.data.shape.back() == 3 && values == 3 * count;
    if (!vector && values != count)
      throw core::Error(fmt::format("XDMF attribute {} ({}) has {} values for {} {}", a.name,
                                    a.data.path, values, count,
                                    a.center == Center::node ? "nodes" : "cells"));
    grid += fmt::format(
        "        <Attribute Name=\"{}\" AttributeType=\"{}\" Center=\"{}\">\n          {}\n"
        "        </Attribute>\n",
        a.name, vector ? "Vector" : "Scalar", a.center == Center::node ? "Node" : "Cell",
        data_item(a.data));
  }
  m_grids.push_back(grid + "      </Grid>\n");
  save();
}

void XdmfWriter::save() const { write_text_file(m_xmf_path, xml()); }

std::string XdmfWriter::xml() const {
  std::string text =
      "<?xml version=\"1.0\" ?>\n"
      "<!DOCTYPE Xdmf SYSTEM \"Xdmf.dtd\" []>\n"
      "<Xdmf Version=\"2.0\">\n"
      "  <Domain>\n"
      "    <Grid Name=\"TimeSeries\" GridType=\"Collection\" CollectionType=\"Temporal\">\n";
  for (const std::string& g : m_grids) text += g;
  return text + "    </Grid>\n  </Domain>\n</Xdmf>\n";
}

}  // namespace twinsim::io
