// Case files: every malformed file gives exactly the message a user should see; good files give
// typed values with defaults filled in, --set overrides applied, and a resolved text that
// reads back the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "twinsim/io/Case.hpp"
#include "twinsim/io/Schema.hpp"

namespace twinsim::io {
namespace {

const std::string k_cases = std::string(TWINSIM_SOURCE_DIR) + "/tests/io/data/cases/";

// A small MD + LBM case: every value type, required and optional sections and keys, ranges,
// choices, an array length, units and a repeated section.
Schema test_schema() {
  Schema schema;
  // One key a line reads as a table of the case file.
  // clang-format off
  schema.section("run", "What to run and where the output goes").required()
      .key_string("name", "Run name, used for output file names").required()
      .key_int("steps", "Number of time steps").required().at_least(1)
      .key_int("seed", "Random seed; a fresh one when not given").optional()
      .key_bool("verbose", "Print every step").default_value(false);
  schema.section("md", "Molecular dynamics")
      .key_float("dt", "Time step").unit("LJ tau").greater_than(0.0).default_value(0.005)
      .key_string("integrator", "Time integrator")
          .one_of({"nve", "langevin", "nose_hoover"}).default_value("nve")
      .key_floats("box", "Box edge lengths").unit("sigma").length(3).greater_than(0.0).required()
      .key_ints("cells", "Cells per direction").length(3).at_least(1).optional();
  schema.section("md.potential", "Pair potential")
      .key_string("kind", "Potential").one_of({"lj", "wca"}).default_value("lj")
      .key_float("cutoff", "Cutoff radius").unit("sigma").greater_than(0.0).default_value(2.5);
  schema.section("lbm.obstacle", "Solid obstacles in the flow").repeated()
      .key_string("shape", "Obstacle shape").one_of({"circle", "square"}).required()
      .key_floats("center", "Centre position").unit("lattice units").length(2).required()
      .key_float("radius", "Radius or half edge").unit("lattice units").greater_than(0.0)
          .required()
      .key_strings("tags", "Labels for the output").default_value({});
  schema.section("output", "What is written and how often")
      .key_int("every", "Steps between frames").greater_than(0).default_value(100)
      .key_strings("fields", "Fields to write")
          .one_of({"position", "velocity", "force"}).default_value({"position"})
      .key_float("fraction", "Fraction of particles written").greater_than(0.0).at_most(1.0)
          .default_value(1.0);
  // clang-format on
  return schema;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Loads tests/io/data/cases/<name>, named "<name>" in messages so they do not depend on where
// the checkout is.
Case load(const std::string& name, const std::vector<std::string>& overrides = {}) {
  return Case::from_string(read_text(k_cases + name), name, test_schema(), overrides);
}

// The problems, one per line, of a case that must not load.
std::vector<std::string> problems(const std::string& name,
                                  const std::vector<std::string>& overrides = {}) {
  try {
    load(name, overrides);
  } catch (const CaseError& e) {
    std::string joined;
    for (const std::string& p : e.problems()) joined += (joined.empty() ? "" : "\n") + p;
    EXPECT_EQ(joined, e.what()) << "what() is the problems, one per line";
    return e.problems();
  }
  ADD_FAILURE() << name << " loaded without error";
  return {};
}

using Lines = std::vector<std::string>;

struct BadCase {
  std::string file;
  Lines expected;
};

std::ostream& operator<<(std::ostream& out, const BadCase& c) { return out << c.file; }

class BadCaseFile : public testing::TestWithParam<BadCase> {};

TEST_P(BadCaseFile, GivesExactlyTheseProblems) {
  EXPECT_EQ(problems("bad/" + GetParam().file), GetParam().expected);
}

const BadCase k_bad_cases[] = {
    {"syntax_error.toml",
     {"bad/syntax_error.toml:2:11: syntax error while parsing string: unescaped control "
      "characters other than TAB (U+0009) are explicitly prohibited"}},
    {"duplicate_key.toml",
     {"bad/duplicate_key.toml:4:9: syntax error while parsing key-value pair: cannot redefine "
      "existing integer 'steps'"}},
    {"unknown_section.toml",
     {"bad/unknown_section.toml:5:5: md.potentail: unknown section; did you mean "
      "'md.potential'?"}},
    {"unknown_section_no_match.toml",
     {"bad/unknown_section_no_match.toml:5:2: thermostat: unknown section; known sections are "
      "'run', 'md', 'md.potential', 'lbm.obstacle', 'output'"}},
    {"unknown_key.toml",
     {"bad/unknown_key.toml:6:1: md.integartor: unknown key; did you mean 'integrator'?"}},
    {"unknown_key_no_match.toml",
     {"bad/unknown_key_no_match.toml:4:1: run.colour: unknown key; known keys are 'name', "
      "'steps', 'seed', 'verbose'"}},
    {"key_in_wrong_section.toml",
     {"bad/key_in_wrong_section.toml:4:1: run.dt: unknown key; did you mean 'md.dt'?"}},
    {"key_outside_section.toml",
     {"bad/key_outside_section.toml:1:1: title: unknown key outside any section"}},
    {"string_for_float.toml",
     {"bad/string_for_float.toml:6:6: md.dt: expected a float, got a string '0.005'"}},
    {"float_for_integer.toml",
     {"bad/float_for_integer.toml:3:9: run.steps: expected an integer, got a float 100000.0"}},
    {"integer_for_string.toml",
     {"bad/integer_for_string.toml:2:8: run.name: expected a string, got an integer 42"}},
    {"string_for_boolean.toml",
     {"bad/string_for_boolean.toml:4:11: run.verbose: expected a boolean, got a string 'yes'"}},
    {"date_for_integer.toml",
     {"bad/date_for_integer.toml:4:8: run.seed: expected an integer, got a date"}},
    {"out_of_range.toml",
     {"bad/out_of_range.toml:6:6: md.dt: expected a float > 0 [LJ tau], got -0.005"}},
    {"out_of_range_integer.toml",
     {"bad/out_of_range_integer.toml:3:9: run.steps: expected an integer >= 1, got 0"}},
    {"out_of_interval.toml",
     {"bad/out_of_interval.toml:6:12: output.fraction: expected a float in (0, 1], got 1.5"}},
    {"bad_choice.toml",
     {"bad/bad_choice.toml:6:14: md.integrator: expected one of 'nve', 'langevin', "
      "'nose_hoover', got 'nvt'; did you mean 'nve'?"}},
    {"bad_choice_in_array.toml",
     {"bad/bad_choice_in_array.toml:6:23: output.fields[1]: expected one of 'position', "
      "'velocity', 'force', got 'energy'"}},
    {"array_length.toml",
     {"bad/array_length.toml:6:7: md.box: expected an array of 3 floats, got 2 elements"}},
    {"array_element_type.toml",
     {"bad/array_element_type.toml:6:14: md.box[1]: expected a float, got a string '10'"}},
    {"array_element_range.toml",
     {"bad/array_element_range.toml:6:14: md.box[1]: expected a float > 0 [sigma], got -1.0"}},
    {"not_an_array.toml",
     {"bad/not_an_array.toml:6:7: md.box: expected an array of 3 floats, got a float 10.0"}},
    {"missing_required_key.toml",
     {"bad/missing_required_key.toml:1:1: run.steps: missing required key"}},
    {"missing_required_section.toml",
     {"bad/missing_required_section.toml:1:1: run: missing required section"}},
    {"repeated_as_table.toml",
     {"bad/repeated_as_table.toml:5:6: lbm.obstacle: expected an array of tables "
      "[[lbm.obstacle]], got a table [lbm.obstacle]"}},
    {"table_as_repeated.toml",
     {"bad/table_as_repeated.toml:5:3: md: expected a table [md], got an array of tables "
      "[[md]]"}},
    {"section_as_value.toml",
     {"bad/section_as_value.toml:1:1: md: expected a table [md], got an integer 5"}},
    {"unknown_key_in_entry.toml",
     {"bad/unknown_key_in_entry.toml:5:1: lbm.obstacle[0].radius: missing required key",
      "bad/unknown_key_in_entry.toml:8:1: lbm.obstacle[0].radus: unknown key; did you mean "
      "'radius'?"}},
    {"repeated_entry_errors.toml",
     {"bad/repeated_entry_errors.toml:10:1: lbm.obstacle[1].radius: missing required key",
      "bad/repeated_entry_errors.toml:11:9: lbm.obstacle[1].shape: expected one of 'circle', "
      "'square', got 'triangle'",
      "bad/repeated_entry_errors.toml:12:10: lbm.obstacle[1].center: expected an array of 2 "
      "floats, got 3 elements"}},
    {"empty.toml", {"bad/empty.toml:1:1: run: missing required section"}},
    {"many_errors.toml",
     {"bad/many_errors.toml:1:1: run.steps: missing required key",
      "bad/many_errors.toml:3:1: run.stesp: unknown key; did you mean 'steps'?",
      "bad/many_errors.toml:4:11: run.verbose: expected a boolean, got an integer 1",
      "bad/many_errors.toml:7:6: md.dt: expected a float > 0 [LJ tau], got 0.0",
      "bad/many_errors.toml:8:14: md.integrator: expected one of 'nve', 'langevin', "
      "'nose_hoover', got 'verlet'",
      "bad/many_errors.toml:9:20: md.box[2]: expected a float, got a string 'ten'",
      "bad/many_errors.toml:13:10: md.potential.cutoff: expected a float > 0 [sigma], got "
      "-2.5"}},
};

INSTANTIATE_TEST_SUITE_P(Case, BadCaseFile, testing::ValuesIn(k_bad_cases),
                         [](const testing::TestParamInfo<BadCase>& info) {
                           const std::string& file = info.param.file;
                           return file.substr(0, file.find('.'));
                         });

TEST(Case, EveryBadFileHasAnExpectation) {
  std::size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(k_cases + "bad")) {
    const std::string name = entry.path().filename().string();
    ++files;
    EXPECT_TRUE(std::any_of(std::begin(k_bad_cases), std::end(k_bad_cases), [&](const BadCase& c) {
      return c.file == name;
    })) << name;
  }
  EXPECT_EQ(files, std::size(k_bad_cases));
}

// --- overrides ----------------------------------------------------------------------------

struct BadOverride {
  std::string name;
  std::vector<std::string> overrides;
  Lines expected;
};

class BadOverrideOf : public testing::TestWithParam<BadOverride> {};

TEST_P(BadOverrideOf, GoodFileGivesExactlyTheseProblems) {
  EXPECT_EQ(problems("good/md_lj.toml", GetParam().overrides), GetParam().expected);
}

const BadOverride k_bad_overrides[] = {
    {"out_of_range",
     {"md.dt=-1"},
     {"--set md.dt=-1: md.dt: expected a float > 0 [LJ tau], got -1.0"}},
    {"no_equals", {"md.dt"}, {"--set md.dt: md.dt: expected section.key=value"}},
    {"no_section", {"steps=10"}, {"--set steps=10: steps: expected section.key=value"}},
    {"empty_part", {"md..dt=1"}, {"--set md..dt=1: md..dt: expected section.key=value"}},
    {"unknown_key", {"md.dtt=0.1"}, {"--set md.dtt=0.1: md.dtt: unknown key; did you mean 'dt'?"}},
    {"unknown_section",
     {"mdd.dt=0.1"},
     {"--set mdd.dt=0.1: mdd: unknown section; did you mean 'md'?"}},
    {"bare_word_choice",
     {"md.integrator=nvt"},
     {"--set md.integrator=nvt: md.integrator: expected one of 'nve', 'langevin', "
      "'nose_hoover', got 'nvt'; did you mean 'nve'?"}},
    {"bare_word_for_integer",
     {"run.steps=abc"},
     {"--set run.steps=abc: run.steps: expected an integer, got a string 'abc'"}},
    {"array_length",
     {"md.box=[1, 2]"},
     {"--set md.box=[1, 2]: md.box: expected an array of 3 floats, got 2 elements"}},
    {"into_repeated_section",
     {"lbm.obstacle.radius=2"},
     {"--set lbm.obstacle.radius=2: lbm.obstacle.radius: --set cannot reach inside "
      "'lbm.obstacle', which is an array, not a table"}},
    {"several",
     {"run.steps=0", "md", "md.potential.kind=morse"},
     {"--set run.steps=0: run.steps: expected an integer >= 1, got 0",
      "--set md: md: expected section.key=value",
      "--set md.potential.kind=morse: md.potential.kind: expected one of 'lj', 'wca', got "
      "'morse'"}},
};

INSTANTIATE_TEST_SUITE_P(Case, BadOverrideOf, testing::ValuesIn(k_bad_overrides),
                         [](const testing::TestParamInfo<BadOverride>& info) {
                           return info.param.name;
                         });

TEST(Case, FileProblemsComeBeforeOverrideProblems) {
  EXPECT_EQ(problems("bad/out_of_range.toml", {"run.steps=-5"}),
            (Lines{"bad/out_of_range.toml:6:6: md.dt: expected a float > 0 [LJ tau], got -0.005",
                   "--set run.steps=-5: run.steps: expected an integer >= 1, got -5"}));
}

TEST(Case, OverridesAreCheckedEvenWhenTheFileIsNotToml) {
  EXPECT_EQ(problems("bad/syntax_error.toml", {"steps"}),
            (Lines{"bad/syntax_error.toml:2:11: syntax error while parsing string: unescaped "
                   "control characters other than TAB (U+0009) are explicitly prohibited",
                   "--set steps: steps: expected section.key=value"}));
}

TEST(Case, OverrideCanRepairAFile) {
  const Case c = load("bad/out_of_range.toml", {"md.dt=0.002"});
  EXPECT_EQ(c.get_float("md.dt"), 0.002);
}

TEST(Case, OverridesReplaceAndAddValues) {
  const Case c = load("good/md_lj.toml", {"md.dt=0.001", "run.name=foo", "run.verbose=true",
                                          "md.box=[1, 2, 3]", "run.name = \"spaced out\"",
                                          "output.fields=[\"force\"]", "md.cells=[4,4,4]"});
  EXPECT_EQ(c.get_float("md.dt"), 0.001);
  EXPECT_EQ(c.get_string("run.name"), "spaced out") << "the last --set of a key wins";
  EXPECT_TRUE(c.get_bool("run.verbose"));
  EXPECT_EQ(c.get_floats("md.box"), (std::vector<double>{1.0, 2.0, 3.0}));
  EXPECT_TRUE(c.has_section("output")) << "an override makes its section present";
  EXPECT_EQ(c.get_strings("output.fields"), (std::vector<std::string>{"force"}));
  EXPECT_EQ(c.get_int("output.every"), 100) << "and fills its defaults";
  EXPECT_EQ(c.get_ints("md.cells"), (std::vector<std::int64_t>{4, 4, 4}));
}

TEST(Case, BareWordOverrideIsAString) {
  EXPECT_EQ(load("good/md_lj.toml", {"run.name=foo"}).get_string("run.name"), "foo");
  EXPECT_EQ(load("good/md_lj.toml", {"run.name=it's a \"run\""}).get_string("run.name"),
            "it's a \"run\"");
}

// --- good cases ---------------------------------------------------------------------------

TEST(Case, TypedValuesWithDefaultsFilledIn) {
  const Case c = load("good/md_lj.toml");
  EXPECT_EQ(c.source(), "good/md_lj.toml");
  EXPECT_EQ(c.get_string("run.name"), "lj_melt");
  EXPECT_EQ(c.get_int("run.steps"), 1000);
  EXPECT_FALSE(c.get_bool("run.verbose")) << "default";
  EXPECT_FALSE(c.has("run.seed")) << "optional, not given";
  EXPECT_TRUE(c.has("run.name"));
  EXPECT_EQ(c.get_float("md.dt"), 1.0) << "an integer where a float is expected";
  EXPECT_EQ(c.get_string("md.integrator"), "langevin");
  EXPECT_EQ(c.get_floats("md.box"), (std::vector<double>{10.0, 10.0, 12.5}));
  EXPECT_EQ(c.get_string("md.potential.kind"), "lj") << "default";
  EXPECT_EQ(c.get_float("md.potential.cutoff"), 3.0);
}

TEST(Case, RepeatedSectionEntries) {
  const Case c = load("good/md_lj.toml");
  EXPECT_TRUE(c.has_section("lbm.obstacle"));
  const std::vector<Section> obstacles = c.entries("lbm.obstacle");
  ASSERT_EQ(obstacles.size(), 2u);
  EXPECT_EQ(obstacles[0].name(), "lbm.obstacle[0]");
  EXPECT_EQ(obstacles[0].get_string("shape"), "circle");
  EXPECT_EQ(obstacles[0].get_floats("center"), (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(obstacles[0].get_float("radius"), 0.5);
  EXPECT_TRUE(obstacles[0].get_strings("tags").empty()) << "default";
  EXPECT_EQ(obstacles[1].get_string("shape"), "square");
  EXPECT_EQ(obstacles[1].get_floats("center"), (std::vector<double>{3.0, 4.0}));
  EXPECT_EQ(obstacles[1].get_strings("tags"), (std::vector<std::string>{"wall", "moving"}));
}

TEST(Case, AbsentOptionalSections) {
  const Case c = Case::from_string("[run]\nname = 'x'\nsteps = 1\n", "mini.toml", test_schema());
  EXPECT_FALSE(c.has_section("md"));
  EXPECT_FALSE(c.has_section("lbm.obstacle"));
  EXPECT_TRUE(c.entries("lbm.obstacle").empty());
  // An absent section still gives the schema's defaults, so callers need not repeat them...
  EXPECT_TRUE(c.has("md.dt"));
  EXPECT_EQ(c.get_float("md.dt"), 0.005);
  EXPECT_EQ(c.get_int("output.every"), 100);
  // ...and nothing else; it stays absent from the resolved text.
  EXPECT_FALSE(c.has("md.box"));
  try {
    c.get_floats("md.box");
    ADD_FAILURE() << "md.box has no value";
  } catch (const core::Error& e) {
    EXPECT_STREQ(e.what(), "[md] is absent from the case and md.box has no default; check "
                           "has_section() first");
  }
  EXPECT_EQ(c.resolved_text().find("[output]"), std::string::npos) << c.resolved_text();
}

TEST(Case, SubsectionAloneDoesNotMakeItsParentPresent) {
  const Case c = Case::from_string("[run]\nname = 'x'\nsteps = 1\n[md.potential]\nkind = 'wca'\n",
                                   "mini.toml", test_schema());
  EXPECT_FALSE(c.has_section("md")) << "md.box is required, yet [md] was never written";
  EXPECT_EQ(c.get_string("md.potential.kind"), "wca");
}

TEST(Case, OverrideIntoAnImplicitParentMakesItPresent) {
  const Case c = Case::from_string("[run]\nname = 'x'\nsteps = 1\n[md.potential]\nkind = 'wca'\n",
                                   "mini.toml", test_schema(), {"md.box=[1, 2, 3]"});
  EXPECT_TRUE(c.has_section("md"));
  EXPECT_EQ(c.get_float("md.dt"), 0.005);
}

TEST(Case, ResolvedTextIsTheCaseWithDefaultsAndOverrides) {
  const Case c = load("good/md_lj.toml", {"run.seed=7"});
  EXPECT_EQ(c.resolved_text(),
            "[run]\n"
            "name = 'lj_melt'\n"
            "steps = 1000\n"
            "seed = 7\n"
            "verbose = false\n"
            "\n"
            "[md]\n"
            "dt = 1.0\n"
            "integrator = 'langevin'\n"
            "box = [10.0, 10.0, 12.5]\n"
            "\n"
            "[md.potential]\n"
            "kind = 'lj'\n"
            "cutoff = 3.0\n"
            "\n"
            "[[lbm.obstacle]]\n"
            "shape = 'circle'\n"
            "center = [1.0, 2.0]\n"
            "radius = 0.5\n"
            "tags = []\n"
            "\n"
            "[[lbm.obstacle]]\n"
            "shape = 'square'\n"
            "center = [3.0, 4.0]\n"
            "radius = 1.0\n"
            "tags = ['wall', 'moving']\n");
}

TEST(Case, ResolvedTextReadsBackTheSame) {
  const Case c = load("good/md_lj.toml", {"md.dt=0.1", "run.name=a 'quoted' \\ name\t!",
                                          "output.fraction=0.30000000000000004"});
  const Case again = Case::from_string(c.resolved_text(), "case.toml", test_schema());
  EXPECT_EQ(again.resolved_text(), c.resolved_text());
  EXPECT_EQ(again.get_float("md.dt"), 0.1);
  EXPECT_EQ(again.get_string("run.name"), "a 'quoted' \\ name\t!");
  EXPECT_EQ(again.get_float("output.fraction"), 0.30000000000000004) << "floats exactly";
  EXPECT_EQ(again.entries("lbm.obstacle").size(), 2u);
  EXPECT_EQ(again.has_section("md.potential"), c.has_section("md.potential"));
}

TEST(Case, FromFileNamesThePathInMessages) {
  const std::string path = k_cases + "bad/out_of_range_integer.toml";
  try {
    Case::from_file(path, test_schema());
    FAIL() << "loaded";
  } catch (const CaseError& e) {
    EXPECT_EQ(std::string(e.what()), path + ":3:9: run.steps: expected an integer >= 1, got 0");
  }
  EXPECT_EQ(Case::from_file(k_cases + "good/md_lj.toml", test_schema()).source(),
            k_cases + "good/md_lj.toml");
}

TEST(Case, MissingFile) {
  try {
    Case::from_file("no/such/case.toml", test_schema());
    FAIL() << "loaded";
  } catch (const CaseError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no/such/case.toml: cannot open the case file: No such file or directory");
  }
}

TEST(Case, OutlineTellsTablesAndSolverBeforeValidation) {
  const CaseOutline o = outline_of(k_cases + "good/md_lj.toml");
  EXPECT_TRUE(o.has("run"));
  EXPECT_TRUE(o.has("md"));
  EXPECT_TRUE(o.has("lbm"));  // [[lbm.obstacle]] makes [lbm] a table
  EXPECT_FALSE(o.has("sweep"));
  EXPECT_EQ(o.solver, "");
  EXPECT_EQ(outline_of(k_cases + "good/md_lj.toml", {"run.solver=lbm", "md.dt=1"}).solver, "lbm");
  EXPECT_TRUE(outline_of("no/such/case.toml").tables.empty());
}

// --- programming errors: the schema, not the user, is wrong ------------------------------

TEST(Case, AccessErrorsAreProgrammingErrors) {
  const Case c = load("good/md_lj.toml");
  const auto message = [&](auto&& f) -> std::string {
    try {
      f();
    } catch (const CaseError&) {
      return "CaseError";
    } catch (const core::Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message([&] { c.get_float("md.dtt"); }), "the schema of [md] declares no key 'dtt'");
  EXPECT_EQ(message([&] { c.has("md.dtt"); }), "the schema of [md] declares no key 'dtt'");
  EXPECT_EQ(message([&] { c.get_int("md.dt"); }),
            "md.dt is a float; read it with the getter of that type");
  EXPECT_EQ(message([&] { c.get_int("run.seed"); }),
            "run.seed is optional and not set; check has() first");
  EXPECT_EQ(message([&] { c.get_int("thermostat.gamma"); }),
            "the schema declares no section [thermostat]");
  EXPECT_EQ(message([&] { c.get_int("steps"); }), "'steps' is not a dotted key such as 'md.dt'");
  EXPECT_EQ(message([&] { c.get_float("lbm.obstacle.radius"); }),
            "[[lbm.obstacle]] is a repeated section; read it with entries()");
  EXPECT_EQ(message([&] { c.entries("md"); }),
            "[md] is not a repeated section; read it with section()");
  EXPECT_EQ(message([&] { c.entries("lbm.obstacle")[0].get_float("shape"); }),
            "lbm.obstacle[0].shape is a string; read it with the getter of that type");
}

TEST(Schema, MisuseIsCaught) {
  const auto message = [](auto&& declare) -> std::string {
    try {
      Schema schema;
      declare(schema);
      schema.check();
    } catch (const core::Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message([](Schema& s) { s.section("md", "").key_float("dt", "").unit("LJ tau"); }),
            "schema key 'md.dt' declares none of required(), default_value() or optional()");
  EXPECT_EQ(message([](Schema& s) {
              s.section("md", "").key_float("dt", "").required().default_value(0.1);
            }),
            "schema key 'md.dt': declare only one of required(), default_value() or optional()");
  EXPECT_EQ(message([](Schema& s) {
              s.section("md", "").key_float("dt", "").default_value(0.0).greater_than(0.0);
            }),
            "schema key 'md.dt': bad default 0.0: expected a float > 0, got 0.0");
  EXPECT_EQ(message([](Schema& s) {
              s.section("md", "").key_string("mode", "").one_of({"a", "b"}).default_value("c");
            }),
            "schema key 'md.mode': bad default 'c': expected one of 'a', 'b', got 'c'");
  EXPECT_EQ(message([](Schema& s) {
              s.section("md", "").key_int("n", "").optional().key_int("n", "").optional();
            }),
            "schema key 'md.n' is declared twice");
  EXPECT_EQ(message([](Schema& s) {
              s.section("md", "");
              s.section("md", "");
            }),
            "schema section [md] is declared twice");
  EXPECT_EQ(message([](Schema& s) { s.section("md", "").key_int("a.b", "").optional(); }),
            "schema key 'a.b' in [md]: use letters, digits, '_' and '-'");
  EXPECT_EQ(message([](Schema& s) { s.section("md..x", ""); }),
            "schema section 'md..x': use names of letters, digits, '_' and '-' joined by dots");
  EXPECT_EQ(message([](Schema& s) {
              s.section("lbm", "").repeated();
              s.section("lbm.wall", "");
            }),
            "schema section [lbm.wall] is nested in the repeated section [[lbm]]");
  EXPECT_NO_THROW(test_schema().check());
}

// --- describe ------------------------------------------------------------------------------

TEST(Schema, DescribeOneSectionExactly) {
  EXPECT_EQ(
      test_schema().describe("md"),
      "  key         type                 default   allowed                           unit    "
      "description\n"
      "\n"
      "[md]  Molecular dynamics (optional)\n"
      "  dt          float                0.005     > 0                               LJ tau  "
      "Time step\n"
      "  integrator  string               'nve'     'nve', 'langevin', 'nose_hoover'          "
      "Time integrator\n"
      "  box         array of 3 floats    required  > 0                               sigma   "
      "Box edge lengths\n"
      "  cells       array of 3 integers  optional  >= 1                                      "
      "Cells per direction\n");
}

TEST(Schema, DescribeListsEverySection) {
  const std::string text = test_schema().describe();
  for (const char* expected :
       {"\n[run]  What to run and where the output goes (required)\n",
        "\n[[lbm.obstacle]]  Solid obstacles in the flow (optional)\n",
        "\n[md.potential]  Pair potential (optional)\n", "Run name, used for output file names",
        "fraction", "in (0, 1]", "['position']", "lattice units"}) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
}

TEST(Schema, DescribeUnknownSection) {
  const auto message = [](std::string_view section) -> std::string {
    try {
      test_schema().describe(section);
    } catch (const core::Error& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(message("md.potentail"),
            "unknown section 'md.potentail'; did you mean 'md.potential'?");
  EXPECT_EQ(message("fluid"),
            "unknown section 'fluid'; known sections are 'run', 'md', 'md.potential', "
            "'lbm.obstacle', 'output'");
}

TEST(Schema, ToToml) {
  EXPECT_EQ(to_toml(Value(1.0)), "1.0");
  EXPECT_EQ(to_toml(Value(1e-7)), "1e-07");
  EXPECT_EQ(to_toml(Value(std::int64_t{-3})), "-3");
  EXPECT_EQ(to_toml(Value(std::string("it's"))), "\"it's\"");
  EXPECT_EQ(to_toml(Value(std::vector<std::string>{"a", "b"})), "['a', 'b']");
}

}  // namespace
}  // namespace twinsim::io
