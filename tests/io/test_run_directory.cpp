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
