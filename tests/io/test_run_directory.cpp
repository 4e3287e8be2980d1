// Run directories refuse to overwrite a previous run and write files atomically; summary.json
// is valid, nested JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "twinsim/core/Error.hpp"
#include "twinsim/io/RunDirectory.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-" + name);
  fs::remove_all(p);
  return p;
}

TEST(Summary, NestsDottedKeysAndWritesNullForNonFinite) {
  io::Summary s;
  s.set("run.name", "demo");
  s.set("run.steps", 10);
  s.set("energy.drift_per_step", 1.5e-9);
  s.set("energy.final", NAN);
  s.set("ok", true);
  s.set("timing.phases.fft_s", 0.25);
  EXPECT_EQ(s.to_json(),
            "{\n"
            "  \"energy\": {\n"
            "    \"drift_per_step\": 1.5e-09,\n"
            "    \"final\": null\n"
            "  },\n"
            "  \"ok\": true,\n"
            "  \"run\": {\n"
            "    \"name\": \"demo\",\n"
            "    \"steps\": 10\n"
            "  },\n"
            "  \"timing\": {\n"
            "    \"phases\": {\n"
            "      \"fft_s\": 0.25\n"
            "    }\n"
            "  }\n"
            "}\n");
}

TEST(Summary, WarningsAreListedAfterTheFigures) {
  io::Summary s;
  EXPECT_EQ(s.to_json().find("warnings"), std::string::npos);  // none: no list
  s.set("mass.relative_drift", 3.0);
  s.warn("mass changed by 300 %");
  s.warn("a \"quoted\" word");
  EXPECT_EQ(s.warnings().size(), 2u);
  EXPECT_EQ(s.to_json(),
            "{\n"
            "  \"mass\": {\n"
            "    \"relative_drift\": 3\n"
            "  },\n"
            "  \"warnings\": [\n"
            "    \"mass changed by 300 %\",\n"
            "    \"a \\\"quoted\\\" word\"\n"
            "  ]\n"
            "}\n");
}

TEST(Summary, JsonNumberReadsBackNestedKeys) {
  io::Summary s;
  s.set("pressure.mean", 1.25);
  s.set("pressure.block_error", 0.5);
  s.set("potential_energy_per_atom.mean", -5.5);
  s.set("atoms", std::int64_t(500));
  s.set("name", "a \"quoted\" {name}");
  s.set("bad.mean", std::nan(""));
  const std::string json = s.to_json();
  EXPECT_EQ(io::json_number(json, "pressure.mean"), 1.25);
  EXPECT_EQ(io::json_number(json, "pressure.block_error"), 0.5);
  EXPECT_EQ(io::json_number(json, "potential_energy_per_atom.mean"), -5.5);
  EXPECT_EQ(io::json_number(json, "atoms"), 500.0);
  EXPECT_FALSE(io::json_number(json, "name"));          // a string
  EXPECT_FALSE(io::json_number(json, "pressure"));      // an object
  EXPECT_FALSE(io::json_number(json, "bad.mean"));      // null
  EXPECT_FALSE(io::json_number(json, "pressure.max"));  // absent
  EXPECT_EQ(io::json_number(R"({"a": [1, {"b": 2}], "c": {"d": [true, null], "e": 3e-2}})",
                            "c.e"),
            0.03);
  EXPECT_THROW(io::json_number(R"({"a": )", "a.b"), core::Error);
}

TEST(Summary, EscapesStringsAndRefusesClashingKeys) {
  io::Summary s;
  s.set("note", "say \"hi\"\n\\");
  EXPECT_EQ(s.to_json(), "{\n  \"note\": \"say \\\"hi\\\"\\n\\\\\"\n}\n");
  s.set("a.b", 1);
  EXPECT_THROW(s.set("a", 2), core::Error);
  EXPECT_THROW(s.set("a.b.c", 2), core::Error);
  EXPECT_THROW(s.set("x..y", 2), core::Error);
}

TEST(RunDirectory, CreatesFoldersAndWritesAtomically) {
  const fs::path p = scratch("rundir");
  io::RunDirectory dir(p / "nested" / "run", false);
  EXPECT_TRUE(fs::is_directory(dir.checkpoints()));
  dir.write_text("case.toml", "x = 1\n");
  EXPECT_EQ(read(dir.file("case.toml")), "x = 1\n");
  EXPECT_FALSE(fs::exists(dir.file("case.toml.tmp")));
  fs::remove_all(p);
}

TEST(RunDirectory, RefusesToReplaceARunUnlessAsked) {
  const fs::path p = scratch("rundir-twice");
  io::RunDirectory(p, false).write_text("case.toml", "x = 1\n");
  try {
    io::RunDirectory again(p, false);
    FAIL() << "expected an error";
  } catch (const core::Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "output folder '" + p.string() +
                  "' already holds a run (case.toml exists); choose another --out or pass "
                  "--overwrite to replace it");
  }
  EXPECT_NO_THROW(io::RunDirectory(p, true));
  fs::remove_all(p);
}

}  // namespace
}  // namespace twinsim::test
