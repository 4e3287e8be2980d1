// io::read_sweep / sweep_members / write_sweep with a schema of the test's own: io needs no
// solver. What the CLI tests cannot see: which outline the caller's schema is asked for (a
// swept or --set run.solver included), the check hook and the refused task's index, the
// member's own overrides, and CSV quoting of values.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "twinsim/io/Sweep.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("twinsim-test-sweep-" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

std::string read(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path write_case(const std::string& name, const std::string& text) {
  const fs::path p = scratch(name) / "case.toml";
  std::ofstream(p) << text;
  return p;
}

// [run] with two solvers, "a" (section [a]: count >= 0, label) and "b" (section [b]: x).
io::Schema schema_for(const std::string& solver) {
  io::Schema s;
  s.section("run", "run")
      .required()
      .key_string("name", "name")
      .required()
      .key_string("solver", "solver")
      .required()
      .one_of({"a", "b"});
  if (solver != "b")
    s.section("a", "solver a")
        .key_int("count", "count")
        .default_value(1)
        .at_least(0)
        .key_string("label", "label")
        .default_value("x");
  if (solver != "a") s.section("b", "solver b").key_float("x", "x").default_value(0.5);
  return s;
}

const char* k_base = "[run]\nname = \"demo\"\nsolver = \"a\"\n\n[a]\ncount = 2\n\n";

TEST(Sweep, AsksTheCallersSchemaForTheFileAndForEachMembersOutline) {
  const fs::path path =
      write_case("outline", std::string(k_base) + "[sweep]\n\"a.count\" = [3, 4]\n");
  std::vector<std::string> asked;
  const io::SchemaOf schema = [&](const io::CaseOutline& o) {
    asked.push_back(o.solver + (o.has("a") ? "+[a]" : ""));
    return schema_for(o.solver);
  };
  const io::Sweep sweep = io::read_sweep(path, schema);
  ASSERT_EQ(sweep.tasks.size(), 2u);
  EXPECT_EQ(asked, std::vector<std::string>({"a+[a]"}));
  EXPECT_NO_THROW(io::sweep_member(sweep, 1, {}, {schema, {}}));
  // A --set run.solver (the last one, quotes dropped) picks the member's schema: b's, where
  // [a] is unknown.
  for (const char* solver : {"run.solver=b", "run.solver=\"b\""}) {
    asked.clear();
    try {
      io::sweep_member(sweep, 1, {"run.solver=a", solver}, {schema, {}});
      ADD_FAILURE() << "member 1 has an [a] section that b's schema does not know";
    } catch (const io::MemberRefused& e) {
      EXPECT_EQ(e.task(), 1u);
      ASSERT_EQ(e.problems().size(), 1u);
      EXPECT_NE(e.problems()[0].find("a: unknown section"), std::string::npos) << e.problems()[0];
      EXPECT_EQ(std::string(e.what()), e.problems()[0]);
    }
    EXPECT_EQ(asked, std::vector<std::string>({"b+[a]"}));
  }
}

// A swept run.solver comes to the member as TOML text ('b'): each member still follows the
// schema of its own solver.
TEST(Sweep, ASweptSolverPicksEachMembersSchema) {
  const fs::path path =
      write_case("solver", std::string(k_base) + "[sweep]\n\"run.solver\" = [\"a\", \"b\"]\n");
  std::vector<std::string> asked;
  const io::SchemaOf schema = [&](const io::CaseOutline& o) {
    asked.push_back(o.solver);
    return schema_for(o.solver);
  };
  const io::Sweep sweep = io::read_sweep(path, schema);
  EXPECT_EQ(io::sweep_member(sweep, 0, {}, {schema, {}}).case_file.get_string("run.solver"), "a");
  try {
    io::sweep_member(sweep, 1, {}, {schema, {}});
    ADD_FAILURE() << "member 1 is a b case with an [a] section";
  } catch (const io::MemberRefused& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_NE(e.problems()[0].find("a: unknown section"), std::string::npos) << e.what();
  }
  EXPECT_EQ(asked, std::vector<std::string>({"a", "a", "b"}));
}

TEST(Sweep, NamesTheSolverOnlyWhenTheSchemaAcceptsIt) {
  const auto refusal = [](const std::string& solver) {
    const fs::path path = write_case("name_" + solver, "[run]\nname = \"d\"\nsolver = \"" + solver +
                                                           "\"\n[sweep]\n\"a.cont\" = [1]\n");
    try {
      io::read_sweep(path, [](const io::CaseOutline& o) { return schema_for(o.solver); });
    } catch (const core::Error& e) {
      return std::string(e.what()).substr(path.string().size());
    }
    return std::string("accepted");
  };
  // "a a case": the solver's name as it is, however it reads.
  EXPECT_EQ(refusal("a"),
            ": sweep.\"a.cont\": a a case has no key cont in [a]; did you mean "
            "'count'? (twinsim schema a)");
  EXPECT_EQ(refusal("zz"),
            ": sweep.\"a.cont\": a case has no key cont in [a]; did you mean "
            "'count'? (twinsim schema a)");
}

TEST(Sweep, MembersCarryTheirOwnOverridesAndTheCheckRefusesByTaskIndex) {
  const fs::path path =
      write_case("members", std::string(k_base) +
                                "[sweep]\nmode = \"zip\"\n\"a.count\" = [3, 4, 5]\n"
                                "\"a.label\" = [\"p\", \"q,r\", \"s\\\"t\"]\n");
  const io::SchemaOf schema = [](const io::CaseOutline& o) { return schema_for(o.solver); };
  const io::Sweep sweep = io::read_sweep(path, schema);
  EXPECT_EQ(sweep.keys, std::vector<std::string>({"a.count", "a.label"}));
  std::vector<std::int64_t> checked;
  const io::MemberRules rules{schema, [&](const io::Case& c) {
                                checked.push_back(c.get_int("a.count"));
                                if (c.get_int("a.count") == 5)
                                  throw core::Error("count = 5 is unlucky");
                              }};
  // The caller's overrides apply first and stay out of the member's list.
  const io::SweepMember m = io::sweep_member(sweep, 1, {"run.name=base", "a.count=9"}, rules);
  EXPECT_EQ(m.overrides,
            std::vector<std::string>({"a.count=4", "a.label='q,r'", "run.name='base_1'"}));
  EXPECT_EQ(m.case_file.get_string("run.name"), "base_1");
  EXPECT_EQ(m.case_file.get_int("a.count"), 4);
  try {
    io::sweep_members(sweep, {}, rules);
    ADD_FAILURE() << "task 2 should be refused by the check";
  } catch (const io::MemberRefused& e) {
    EXPECT_EQ(e.task(), 2u);
    EXPECT_TRUE(e.problems().empty());
    EXPECT_STREQ(e.what(), "count = 5 is unlucky");
  }
  EXPECT_EQ(checked, std::vector<std::int64_t>({4, 3, 4, 5}));
}

TEST(Sweep, WritesQuotedCsvAndReplacesEarlierTaskFiles) {
  const fs::path path =
      write_case("write", std::string(k_base) +
                              "[sweep]\nmode = \"zip\"\n\"a.label\" = [\"q,r\", \"s\\\"t\"]\n");
  const io::SchemaOf schema = [](const io::CaseOutline& o) { return schema_for(o.solver); };
  const io::Sweep sweep = io::read_sweep(path, schema);
  const fs::path dir = scratch("write_out") / "tasks";
  fs::create_directories(dir);
  std::ofstream(dir / "task_7.toml") << "stale";
  std::ofstream(dir / "notes.txt") << "kept";
  io::write_sweep(dir, sweep, io::sweep_members(sweep, {}, {schema, {}}));
  EXPECT_FALSE(fs::exists(dir / "task_7.toml"));
  EXPECT_TRUE(fs::exists(dir / "notes.txt"));
  EXPECT_EQ(read(dir / "tasks.csv"),
            "task,run.name,a.label\n0,demo_0,\"'q,r'\"\n1,demo_1,\"'s\"\"t'\"\n");
  const std::string task = read(dir / "task_1.toml");
  EXPECT_EQ(task.substr(0, task.find('\n')),
            "# task 1 of the sweep in " + path.string() + ": a.label = 's\"t'");
  // The task file is a case of its own: it validates with no sweep left in it.
  const io::Case c = io::Case::from_file(dir / "task_1.toml", schema_for("a"));
  EXPECT_EQ(c.get_string("a.label"), "s\"t");
  EXPECT_EQ(c.get_string("run.name"), "demo_1");
}

}  // namespace
}  // namespace twinsim::test
