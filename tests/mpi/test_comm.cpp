// core::Comm on however many ranks it is started with: one (ctest runs it as a plain program:
// the serial communicator) and 2 and 4 under mpirun (tests/mpi/CMakeLists.txt). Every
// expectation is written for any rank count.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "twinsim/core/Comm.hpp"
#include "twinsim/core/Error.hpp"

namespace twinsim {
namespace {

TEST(Comm, RanksAndNodesAddUp) {
  core::Comm& c = core::world();
  ASSERT_GE(c.size(), 1);
  EXPECT_GE(c.rank(), 0);
  EXPECT_LT(c.rank(), c.size());
  EXPECT_LT(c.local_rank(), c.local_size());
  EXPECT_GE(c.nodes(), 1);
  EXPECT_EQ(c.min(std::int64_t(c.size())), c.max(std::int64_t(c.size())));
  EXPECT_EQ(c.sum(1.0), double(c.size()));
  EXPECT_FALSE(core::describe(c).empty());
}

TEST(Comm, ReducesOverEveryRank) {
  core::Comm& c = core::world();
  const int p = c.size(), r = c.rank();
  std::int64_t v[3] = {r, r, r};
  c.allreduce(v, 1, core::Reduce::sum);
  c.allreduce(v + 1, 1, core::Reduce::min);
  c.allreduce(v + 2, 1, core::Reduce::max);
  EXPECT_EQ(v[0], std::int64_t(p) * (p - 1) / 2);
  EXPECT_EQ(v[1], 0);
  EXPECT_EQ(v[2], p - 1);
  EXPECT_EQ(c.max(0.5 * r), 0.5 * (p - 1));
  EXPECT_TRUE(c.any(r == p - 1));
  EXPECT_FALSE(c.any(false));
}

TEST(Comm, BroadcastsFromAnyRoot) {
  core::Comm& c = core::world();
  const int last = c.size() - 1;
  std::vector<double> v;
  if (c.rank() == last) v = {1.5, -2.0, 3.25};
  c.broadcast(v, last);
  EXPECT_EQ(v, (std::vector<double>{1.5, -2.0, 3.25}));
  std::string text = c.root() ? "from rank 0" : "";
  c.broadcast(text, 0);
  EXPECT_EQ(text, "from rank 0");
}

TEST(Comm, GathersVariableSizesInRankOrder) {
  core::Comm& c = core::world();
  // Rank r sends r + 1 copies of r (rank 0 one value); the last rank sends nothing.
  const bool last = c.size() > 1 && c.rank() == c.size() - 1;
  const std::vector<std::int64_t> mine(last ? 0 : std::size_t(c.rank() + 1), c.rank());
  const std::vector<std::vector<std::int64_t>> all = c.gather(mine, 0);
  if (!c.root()) {
    EXPECT_TRUE(all.empty());
    return;
  }
  ASSERT_EQ(all.size(), std::size_t(c.size()));
  for (int r = 0; r < c.size(); ++r) {
    const bool empty = c.size() > 1 && r == c.size() - 1;
    EXPECT_EQ(all[r], std::vector<std::int64_t>(empty ? 0 : std::size_t(r + 1), r)) << r;
  }
}

TEST(Comm, AllToAllTransposesBlocks) {
  core::Comm& c = core::world();
  const int p = c.size(), me = c.rank();
  // Two values per block: block r of rank s holds (100 s + r, -(100 s + r)).
  std::vector<double> send(2 * std::size_t(p)), recv(2 * std::size_t(p), 0.0);
  for (int r = 0; r < p; ++r) {
    send[2 * r] = 100.0 * me + r;
    send[2 * r + 1] = -(100.0 * me + r);
  }
  c.alltoall(send.data(), recv.data(), 2 * sizeof(double));
  for (int s = 0; s < p; ++s) {
    EXPECT_EQ(recv[2 * s], 100.0 * s + me);
    EXPECT_EQ(recv[2 * s + 1], -(100.0 * s + me));
  }
}

TEST(Comm, ExchangesHalosAroundARing) {
  core::Comm& c = core::world();
  const int p = c.size(), me = c.rank();
  const int right = (me + 1) % p, left = (me + p - 1) % p;
  // A periodic 1D split: each rank sends its last cell right and gets its left ghost.
  const std::vector<double> face = {10.0 * me, 10.0 * me + 1};
  std::vector<double> ghost(2, -1.0);
  c.exchange(face.data(), sizeof(double) * 2, right, ghost.data(), sizeof(double) * 2, left);
  EXPECT_EQ(ghost, (std::vector<double>{10.0 * left, 10.0 * left + 1}));
}

// start_exchange / finish_exchange (the LBM halo): both neighbours of a periodic ring at once,
// told apart by tag (on 2 ranks the left and the right neighbour are the same rank, on 1 both
// are this rank: copies), other work between posting and waiting.
TEST(Comm, PostsTaggedHaloMessagesAndWaitsLater) {
  core::Comm& c = core::world();
  const int p = c.size(), me = c.rank();
  const int right = (me + 1) % p, left = (me + p - 1) % p;
  std::vector<double> up = {100.0 + me}, down = {200.0 + me, 300.0 + me};
  std::vector<double> from_left(1, -1.0), from_right(2, -1.0);
  // Tag 1: travels right; tag 2: travels left.
  c.start_exchange({{from_left.data(), sizeof(double), left, 1},
                    {from_right.data(), 2 * sizeof(double), right, 2}},
                   {{up.data(), sizeof(double), right, 1},
                    {down.data(), 2 * sizeof(double), left, 2}});
  double work = 0;
  for (int i = 1; i <= 1000; ++i) work += 1.0 / i;  // what an interior update would do
  c.finish_exchange();
  EXPECT_GT(work, 7.0);
  EXPECT_EQ(from_left, (std::vector<double>{100.0 + left}));
  EXPECT_EQ(from_right, (std::vector<double>{200.0 + right, 300.0 + right}));
}

TEST(Comm, SerialRefusesWhatOneRankCannotDo) {
  const auto c = core::make_serial_comm();
  EXPECT_EQ(c->size(), 1);
  double x = 0;
  EXPECT_THROW(c->exchange(&x, sizeof x, 1, &x, sizeof x, 0), core::Error);
  EXPECT_THROW(c->broadcast(&x, sizeof x, 1), core::Error);
  double y = 0;  // a message to another rank, or without a receive of its tag
  EXPECT_THROW(c->start_exchange({{&y, sizeof y, 0, 1}}, {{&x, sizeof x, 1, 1}}), core::Error);
  EXPECT_THROW(c->start_exchange({{&y, sizeof y, 0, 2}}, {{&x, sizeof x, 0, 1}}), core::Error);
  std::int64_t v = 7;
  c->allreduce(&v, 1, core::Reduce::sum);
  EXPECT_EQ(v, 7);
}

// Single precision (data-parallel training's gradients): sums of small integers and halves are
// exact in float, so the expectations are exact for any rank count.
TEST(Comm, ReducesFloatsOverEveryRank) {
  core::Comm& c = core::world();
  const int p = c.size(), r = c.rank();
  float v[3] = {0.5f * float(r), float(r), float(r)};
  c.allreduce(v, 1, core::Reduce::sum);
  c.allreduce(v + 1, 1, core::Reduce::min);
  c.allreduce(v + 2, 1, core::Reduce::max);
  EXPECT_EQ(v[0], 0.25f * float(p * (p - 1)));
  EXPECT_EQ(v[1], 0.0f);
  EXPECT_EQ(v[2], float(p - 1));
  const auto serial = core::make_serial_comm();
  float w = 1.5f;
  serial->allreduce(&w, 1, core::Reduce::sum);
  EXPECT_EQ(w, 1.5f);
}

}  // namespace
}  // namespace twinsim
