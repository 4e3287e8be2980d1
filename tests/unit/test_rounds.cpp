// loop::Rounds, an ensemble's rounds (one rank here; across ranks: tests/mpi/
// test_mpi_ensembles.py, test_mpi.py, test_mpi_in_situ.py): a round dealt out to ranks, the
// rounds an advance runs and where it ends, the step count and progress line, the checkpoint
// state and a member's state under its slot.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/io/Hdf5.hpp"
#include "twinsim/loop/Rounds.hpp"

namespace twinsim::test {
namespace {

namespace fs = std::filesystem;

const loop::Rounds::Names k_names{"e/begin",         "e/round_step",  "e/steps",
                                  "e/round_members", "e/round_width", "e/legacy_step"};

// Members that stop every 2 steps of a round of 5, recording what the rounds asked of them.
class Work : public loop::RoundWork {
 public:
  explicit Work(const loop::Rounds& rounds) : m_rounds(rounds) {}
  std::vector<std::string> calls;

  void start_round() override {
    calls.push_back("start " + std::to_string(m_rounds.first()) + "+" +
                    std::to_string(m_rounds.held()));
  }
  std::int64_t take(std::int64_t most) override {
    const std::int64_t now = m_rounds.round_step();
    return std::min({most, (now / 2 + 1) * 2 - now, 5 - now});
  }
  bool reached() override { return m_rounds.round_step() == 5; }
  void complete_round() override {
    calls.push_back("complete " + std::to_string(m_rounds.first()));
  }

 private:
  const loop::Rounds& m_rounds;
};

TEST(Rounds, ARoundDealtOutGivesEachRankAContiguousPart) {
  // 5 members from member 2, at most 3 a rank, on 2 ranks: 2, 3, 4 | 5, 6.
  const loop::Round r{2, 5, 3, 2};
  EXPECT_EQ(r.first(0), 2);
  EXPECT_EQ(r.held(0), 3);
  EXPECT_EQ(r.first(1), 5);
  EXPECT_EQ(r.held(1), 2);
  EXPECT_EQ(r.holder(4), 0);
  EXPECT_EQ(r.slot(4), 2);
  EXPECT_EQ(r.holder(6), 1);
  EXPECT_EQ(r.slot(6), 1);
  // 2 members, one a rank, on 3 ranks: the third idles.
  const loop::Round idle{4, 2, 1, 3};
  EXPECT_EQ(idle.held(1), 1);
  EXPECT_EQ(idle.held(2), 0);
}

TEST(Rounds, AnAdvanceEndsWhereARoundCompletesAndCountsItsSteps) {
  // 5 members, 2 a round (one rank), 5 steps a round: rounds 0+2, 2+2, 4+1.
  loop::Rounds rounds(5, 2, 5, k_names);
  Work work(rounds);
  EXPECT_EQ(rounds.position().total, 15);
  EXPECT_EQ(rounds.position().unit, "round steps");  // a step advances 2 members
  EXPECT_EQ(loop::Rounds(5, 1, 5, k_names).position().unit, "member steps");
  rounds.advance(3, work);  // steps 0-3 of the first round
  EXPECT_EQ(rounds.round_step(), 3);
  EXPECT_EQ(rounds.steps(), 3);
  EXPECT_EQ(rounds.member_units(5, rounds.round_step()), 6);  // 2 members x 3 steps
  rounds.advance(100, work);  // ends where the first round completes
  EXPECT_EQ(rounds.steps(), 5);
  EXPECT_EQ(rounds.round_step(), 0);
  EXPECT_EQ(rounds.first(), 2);
  while (!rounds.finished()) rounds.advance(100, work);
  EXPECT_EQ(rounds.steps(), 15);
  EXPECT_EQ(rounds.member_units(5, 0), 25);
  EXPECT_EQ(rounds.position().done, rounds.position().total);
  EXPECT_EQ(work.calls, (std::vector<std::string>{"start 0+2", "complete 0", "start 2+2",
                                                  "complete 2", "start 4+1", "complete 4"}));
}

TEST(Rounds, ACheckpointRestoresTheRoundAndEachMembersStateUnderItsSlot) {
  const fs::path path = fs::temp_directory_path() / "twinsim_test_rounds.h5";
  loop::Rounds rounds(5, 2, 5, k_names);
  Work work(rounds);
  rounds.advance(5, work);
  rounds.advance(4, work);  // the second round at its step 4
  {
    io::H5File file = io::H5File::create(path);
    io::StateWriter out(file);
    rounds.save(out);
    for (std::int64_t k = 0; k < rounds.held(); ++k)
      out.under(loop::Rounds::slot_prefix(k), [&] { out.put("member/index", rounds.first() + k); });
    out.seal();
  }
  const io::H5File file = io::H5File::open(path);
  const io::StateReader in(file);
  EXPECT_TRUE(in.has("slot_1/member/index"));
  loop::Rounds restored(5, 2, 5, k_names);
  restored.load(in);
  EXPECT_EQ(restored.steps(), 9);
  EXPECT_EQ(restored.round_step(), 4);
  EXPECT_EQ(restored.first(), 2);
  EXPECT_EQ(restored.held(), 2);
  for (std::int64_t m = 2; m < 4; ++m)
    EXPECT_EQ(restored.member_state(in, m).get_int("member/index"), m);
  Work again(restored);
  restored.advance(100, again);  // no new start: the restored round continues
  EXPECT_EQ(again.calls, (std::vector<std::string>{"complete 2", "start 4+1"}));
  fs::remove(path);
}

}  // namespace
}  // namespace twinsim::test
