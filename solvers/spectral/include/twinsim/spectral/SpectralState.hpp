#pragma once
// What a spectral solver's next step depends on, copied to the host: the state a checkpoint
// stores. Everything else a solver holds (forcing modes, integrating factors, FFT plans,
// stage buffers) is rebuilt from its config or overwritten before it is read.
#include <cstdint>
#include <string>
#include <vector>

#include "twinsim/core/Complex.hpp"

namespace twinsim::io {
class StateWriter;
class StateReader;
}  // namespace twinsim::io

namespace twinsim::spectral {

template <class Real>
struct SpectralState {
  std::vector<core::Complex<Real>> modes;  // the solver's mode array, in its own layout
  double time = 0;                         // [time]
  double last_dt = 0;                      // the most recent step [time]
  double anchor = 0;                       // time after the last adaptive call [time]
  std::int64_t steps = 0;                  // fixed steps since anchor: time = anchor + steps dt
};

// Writes the state under prefix/ (modes, time, last_dt, anchor, steps), bits kept exactly.
template <class Real>
void save_state(const SpectralState<Real>& state, io::StateWriter& writer,
                const std::string& prefix);
// Reads what save_state() wrote; throws core::Error naming what is missing.
template <class Real>
SpectralState<Real> load_state(const io::StateReader& reader, const std::string& prefix);
// The same without the modes (empty): the clock, which every rank of a split solver shares.
template <class Real>
SpectralState<Real> load_clock(const io::StateReader& reader, const std::string& prefix);

}  // namespace twinsim::spectral
