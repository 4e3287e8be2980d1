// Progress lines: rate and time left for people, plain log lines when not on a terminal.
#include <gtest/gtest.h>

#include <cstdio>

#include "twinsim/core/Progress.hpp"
#include "twinsim/core/Timers.hpp"

namespace twinsim::test {
namespace {

TEST(Progress, LineStatesCountRateAndTimeLeft) {
  std::FILE* not_a_terminal = std::tmpfile();
  core::Progress p("run", 1000, "steps", 30.0, not_a_terminal);
  EXPECT_EQ(p.line(250, 2.0), "run: 250/1000 steps (25.0%), 125 steps/s, 6.0 s left");
  EXPECT_EQ(p.line(0, 0.0), "run: 0/1000 steps (0.0%), 0 steps/s, ? left");
  std::fclose(not_a_terminal);
}

TEST(Progress, ARestartedRunRatesOnlyWhatThisProcessDid) {
  std::FILE* not_a_terminal = std::tmpfile();
  core::Progress p("run", 1000, "steps", 30.0, not_a_terminal);
  p.resume_at(600);
  // 200 steps in 2 s since the restart: 100 steps/s, 200 left -> 2 s.
  EXPECT_EQ(p.line(800, 2.0), "run: 800/1000 steps (80.0%), 100 steps/s, 2.0 s left");
  std::fclose(not_a_terminal);
}

TEST(Progress, DurationsReadLikeAClock) {
  EXPECT_EQ(core::format_duration(4.25), "4.2 s");
  EXPECT_EQ(core::format_duration(42.4), "42 s");
  EXPECT_EQ(core::format_duration(185), "3 min 05 s");
  EXPECT_EQ(core::format_duration(3725), "1 h 02 min");
  EXPECT_EQ(core::format_duration(-1), "?");
}

TEST(Progress, NothingIsWrittenToANonTerminal) {
  std::FILE* f = std::tmpfile();
  {
    core::Progress p("run", 10, "steps", 3600.0, f);
    for (int i = 1; i <= 10; ++i) p.update(i);
  }
  EXPECT_EQ(std::ftell(f), 0L) << "log lines go to the logger, never to the file";
  std::fclose(f);
}

TEST(Timers, ScopedTimersAccumulatePerPhase) {
  core::Timers t;
  { core::ScopedTimer a(t, "force"); }
  { core::ScopedTimer b(t, "force"); }
  t.add("io", 0.5);
  EXPECT_GE(t.seconds("force"), 0.0);
  EXPECT_EQ(t.seconds("io"), 0.5);
  EXPECT_EQ(t.seconds("absent"), 0.0);
  EXPECT_EQ(t.all().size(), 2u);
}

}  // namespace
}  // namespace twinsim::test
