#pragma once
// An ensemble run in rounds across MPI ranks (the spectral 2D generator's samples, the
// lbm_ensemble's and md_ensemble's members): which members the round in flight holds and which
// of them this rank runs, where the round stands, the run's step count and progress line, a
// round's results shared in member order, and the checkpoint state, with the round in flight
// dealt out again on a restart on another rank count.
//
// A usual round on P ranks holds P x unit members (unit: what a rank runs at once, one member
// or a batch of samples; the last round fewer): rank r runs [begin + r unit, begin + (r + 1)
// unit), a rank past the last member none (it idles through the round, counting its steps).
// Every member of a round takes the round's steps, so the ranks stay in step. One rank: the
// members a unit at a time. A restart on Q ranks from a checkpoint of another count deals the
// round in flight out again, its n members in contiguous parts of ceil(n / Q) (a rank may then
// run more or fewer than a unit at once); the rounds after it are usual ones.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/core/BackendArray.hpp"
#include "twinsim/core/Comm.hpp"
#include "twinsim/io/Checkpoint.hpp"
#include "twinsim/loop/Samples.hpp"
#include "twinsim/loop/Stepper.hpp"

namespace twinsim::loop {

// A round as dealt out to `ranks` ranks: members [begin, begin + size), rank r runs
// [first(r), first(r) + held(r)), at most `width` of them.
struct Round {
  std::int64_t begin = 0, size = 0, width = 1;
  int ranks = 1;

  std::int64_t first(int rank) const { return begin + rank * width; }
  std::int64_t held(int rank) const {
    return std::clamp<std::int64_t>(begin + size - first(rank), 0, width);
  }
  // The rank that runs member m of the round, and m's place among that rank's members.
  int holder(std::int64_t m) const { return int((m - begin) / width); }
  std::int64_t slot(std::int64_t m) const { return (m - begin) % width; }
};

// What an ensemble does in its rounds: Rounds::advance calls it.
class RoundWork {
 public:
  virtual ~RoundWork() = default;
  // This rank's members of the round in flight (Rounds::first(), held(); none: nothing) from
  // their start, and what is due at round step 0 (a first frame).
  virtual void start_round() = 0;
  // Steps this rank's members (none: nothing) by at most `most` steps and at most to the
  // ensemble's next stop (a frame, a thermo row, the round's end); returns the steps taken.
  virtual std::int64_t take(std::int64_t most) = 0;
  // After each take, at Rounds::round_step(): what is due there; true when the round is done.
  virtual bool reached() = 0;
  // The round's members are done: their results into the file and to the sink (collective).
  virtual void complete_round() = 0;
};

class Rounds {
 public:
  // The names a kind's checkpoints give these figures (each kind keeps its own, so its older
  // checkpoints restart).
  struct Names {
    std::string begin;          // the round's first member
    std::string round_step;     // steps the round has taken
    std::string steps;          // steps of every round so far (step())
    std::string round_members;  // a round dealt out again: its members (absent or 0: usual)
    std::string round_width;    // and the most a rank runs
    // Checkpoints from before rounds (one rank) hold the round's step count here (the member's
    // own); empty: none.
    std::string round_step_before_rounds;
  };

  // `count` members, `unit` of them a rank in a usual round, `round_steps` steps a round (0:
  // rounds of their own lengths, adaptive steps), across comm's ranks.
  Rounds(std::int64_t count, std::int64_t unit, std::int64_t round_steps, Names names,
         core::Comm& comm = core::world());

  std::int64_t count() const { return m_count; }
  bool finished() const { return m_begin >= m_count; }
  // The round in flight as dealt out to this run's ranks, and this rank's members of it.
  Round round() const { return round_on(m_comm.size()); }
  std::int64_t first() const { return round().first(m_comm.rank()); }
  std::int64_t held() const { return round().held(m_comm.rank()); }
  std::int64_t round_step() const { return m_round_step; }
  // Steps every round has taken so far, the stepper's step(): a round's step is one step.
  std::int64_t steps() const { return m_steps; }
  // Work of the members in units a member takes `per_member` of: the completed members' and the
  // round's members' `in_round` each (member steps, sample-snapshots).
  std::int64_t member_units(std::int64_t per_member, std::int64_t in_round) const {
    return m_begin * per_member + (finished() ? 0 : round().size * in_round);
  }
  // The progress line with round_steps > 0: round steps ("member steps" on one rank), the total
  // from the rounds left as this rank count deals them.
  Position position() const;

  // Advances by at most `steps` steps, ending where a round completes (an in-situ trainer then
  // takes its steps right after each round, wherever the loop's chunks end); a fresh run
  // starts its first round here.
  void advance(std::int64_t steps, RoundWork& work);

  void save(io::StateWriter& out) const;
  // On another rank count than the checkpoint's (in.parts() not empty: every figure here from
  // rank 0's file, which every rank shares) the round in flight is dealt out again.
  void load(const io::StateReader& in);
  // After load: the round in flight as the checkpoint's writers had dealt it out.
  const Round& written() const { return m_written; }
  // A member of the round in flight as the checkpoint holds it, after load: the state the rank
  // that ran it put under slot_prefix(its slot), as a one-rank state of its own.
  io::StateReader member_state(const io::StateReader& in, std::int64_t member) const;
  // Where a rank's members of a round put their states: slot 0 (its first) under the names of
  // its solver, slot k > 0 under "slot_<k>/" (a round dealt out again).
  static std::string slot_prefix(std::int64_t slot);

  // The round's values, `per_member` of each member, in member order on every rank: this
  // rank's `mine` (held() x per_member) and every other rank's, broadcast from it (collective;
  // one rank: mine).
  template <class T>
  std::vector<T> share(const std::vector<T>& mine, std::size_t per_member) const;
  // The round's trajectories to `sink`, in member order, on every rank (data-parallel training
  // holds them all): this rank's from `mine` (held() x per_member values in a backend's memory;
  // null when it holds none), handed over where they are, and every other rank's broadcast from
  // it through host memory (collective).
  template <class T>
  void hand_over(SampleSink& sink, const core::BackendArray<T>* mine, std::size_t per_member) const;

 private:
  Round round_on(int ranks) const;

  std::int64_t m_count, m_unit, m_round_steps;
  Names m_names;
  core::Comm& m_comm;
  std::int64_t m_begin = 0, m_round_step = 0, m_steps = 0;
  std::int64_t m_round_members = 0, m_round_width = 0;  // a round dealt out again; 0: usual
  Round m_written;
  bool m_started = false;  // a round has begun (a fresh run begins its first in advance())
};

template <class T>
std::vector<T> Rounds::share(const std::vector<T>& mine, std::size_t per_member) const {
  const Round r = round();
  std::vector<T> all;
  all.reserve(std::size_t(r.size) * per_member);
  for (int q = 0; q < r.ranks; ++q) {
    const std::size_t n = std::size_t(r.held(q)) * per_member;
    if (n == 0) continue;
    std::vector<T> part = q == m_comm.rank() ? mine : std::vector<T>(n);
    if (r.ranks > 1) m_comm.broadcast(part.data(), n * sizeof(T), q);
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

template <class T>
void Rounds::hand_over(SampleSink& sink, const core::BackendArray<T>* mine,
                       std::size_t per_member) const {
  const Round r = round();
  for (int q = 0; q < r.ranks; ++q) {
    const std::int64_t held = r.held(q);
    if (held == 0) continue;
    const std::size_t n = std::size_t(held) * per_member;
    if (q == m_comm.rank()) {
      if (r.ranks > 1) {
        std::vector<T> h = mine->to_host(0, n);
        m_comm.broadcast(h.data(), n * sizeof(T), q);
      }
      for (std::int64_t b = 0; b < held; ++b)
        sink.add(r.first(q) + b, {mine->data() + std::size_t(b) * per_member, mine->backend()});
      continue;
    }
    std::vector<T> h(n);
    m_comm.broadcast(h.data(), n * sizeof(T), q);
    for (std::int64_t b = 0; b < held; ++b)
      sink.add(r.first(q) + b, {h.data() + std::size_t(b) * per_member, core::Backend::Cpu});
  }
}

}  // namespace twinsim::loop
