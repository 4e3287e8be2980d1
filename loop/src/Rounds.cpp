// An ensemble run in rounds across MPI ranks (Rounds.hpp).
#include "twinsim/loop/Rounds.hpp"

#include <fmt/format.h>

#include <utility>

namespace twinsim::loop {

Rounds::Rounds(std::int64_t count, std::int64_t unit, std::int64_t round_steps, Names names,
               core::Comm& comm)
    : m_count(count),
      m_unit(unit),
      m_round_steps(round_steps),
      m_names(std::move(names)),
      m_comm(comm),
      m_written(round_on(comm.size())) {}

Round Rounds::round_on(int ranks) const {
  Round r;
  r.begin = m_begin;
  r.size = m_round_members > 0 ? m_round_members
                               : std::min<std::int64_t>(ranks * m_unit, m_count - m_begin);
  r.width = m_round_width > 0 ? m_round_width : m_unit;
  r.ranks = ranks;
  return r;
}

Position Rounds::position() const {
  const Round r = round();
  const std::int64_t usual = r.ranks * m_unit;
  const std::int64_t left = finished() ? 0 : 1 + (m_count - m_begin - r.size + usual - 1) / usual;
  // A step is a member's step while one rank ran every round, one member at a time.
  const bool member_steps =
      r.ranks == 1 && m_unit == 1 && m_steps == member_units(m_round_steps, m_round_step);
  return {m_steps, m_steps - m_round_step + left * m_round_steps,
          member_steps ? "member steps" : "round steps"};
}

void Rounds::advance(std::int64_t steps, RoundWork& work) {
  if (!m_started && !finished()) {
    m_started = true;
    work.start_round();
  }
  for (std::int64_t taken = 0; taken < steps && !finished();) {
    const std::int64_t n = work.take(steps - taken);
    taken += n;
    m_round_step += n;
    m_steps += n;
    if (!work.reached()) continue;
    work.complete_round();
    m_begin += round().size;
    m_round_members = m_round_width = m_round_step = 0;
    if (!finished()) work.start_round();
    return;
  }
}

void Rounds::save(io::StateWriter& out) const {
  out.put(m_names.begin, m_begin);
  out.put(m_names.round_step, m_round_step);
  out.put(m_names.steps, m_steps);
  out.put(m_names.round_members, m_round_members);
  out.put(m_names.round_width, m_round_width);
}

void Rounds::load(const io::StateReader& in) {
  const auto optional = [&](const std::string& name) {
    return in.has(name) ? in.get_int(name) : std::int64_t(0);
  };
  const int writers = in.parts().empty() ? m_comm.size() : int(in.parts().size());
  m_begin = in.get_int(m_names.begin);
  m_round_step = in.has(m_names.round_step) || m_names.round_step_before_rounds.empty()
                     ? in.get_int(m_names.round_step)
                     : in.get_int(m_names.round_step_before_rounds);
  m_round_members = optional(m_names.round_members);
  m_round_width = optional(m_names.round_width);
  // Checkpoints from before the count of steps (fixed round steps, so its usual rounds say it).
  m_steps = in.has(m_names.steps) || m_round_steps == 0
                ? in.get_int(m_names.steps)
                : m_begin / (writers * m_unit) * m_round_steps + m_round_step;
  m_written = round_on(writers);
  if (!in.parts().empty() && !finished()) {
    m_round_members = m_written.size;
    m_round_width = (m_written.size + m_comm.size() - 1) / m_comm.size();
  }
  m_started = !finished();
}

io::StateReader Rounds::member_state(const io::StateReader& in, std::int64_t member) const {
  const io::StateReader& file = in.parts().empty() ? in : *in.parts()[m_written.holder(member)];
  return file.under(slot_prefix(m_written.slot(member)));
}

std::string Rounds::slot_prefix(std::int64_t slot) {
  return slot == 0 ? std::string() : fmt::format("slot_{}/", slot);
}

}  // namespace twinsim::loop
