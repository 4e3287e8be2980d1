#include "twinsim/spectral/SpectralState.hpp"

#include <complex>

#include "twinsim/io/Checkpoint.hpp"

namespace twinsim::spectral {

// core::Complex<Real> has std::complex<Real>'s layout (two contiguous reals): the modes go
// through the checkpoint's complex arrays as they are.
template <class Real>
void save_state(const SpectralState<Real>& state, io::StateWriter& writer,
                const std::string& prefix) {
  writer.put(prefix + "/modes", reinterpret_cast<const std::complex<Real>*>(state.modes.data()),
             state.modes.size());
  writer.put(prefix + "/time", state.time);
  writer.put(prefix + "/last_dt", state.last_dt);
  writer.put(prefix + "/anchor", state.anchor);
  writer.put(prefix + "/steps", state.steps);
}

template <class Real>
SpectralState<Real> load_clock(const io::StateReader& reader, const std::string& prefix) {
  SpectralState<Real> state;
  state.time = reader.get_double(prefix + "/time");
  state.last_dt = reader.get_double(prefix + "/last_dt");
  state.anchor = reader.get_double(prefix + "/anchor");
  state.steps = reader.get_int(prefix + "/steps");
  return state;
}

template <class Real>
SpectralState<Real> load_state(const io::StateReader& reader, const std::string& prefix) {
  SpectralState<Real> state = load_clock<Real>(reader, prefix);
  const std::vector<std::complex<Real>> modes = reader.get<std::complex<Real>>(prefix + "/modes");
  state.modes.resize(modes.size());
  for (std::size_t i = 0; i < modes.size(); ++i)
    state.modes[i] = {modes[i].real(), modes[i].imag()};
  return state;
}

template void save_state(const SpectralState<float>&, io::StateWriter&, const std::string&);
template void save_state(const SpectralState<double>&, io::StateWriter&, const std::string&);
template SpectralState<float> load_state<float>(const io::StateReader&, const std::string&);
template SpectralState<double> load_state<double>(const io::StateReader&, const std::string&);
template SpectralState<float> load_clock<float>(const io::StateReader&, const std::string&);
template SpectralState<double> load_clock<double>(const io::StateReader&, const std::string&);

}  // namespace twinsim::spectral
