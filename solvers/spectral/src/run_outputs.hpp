#pragma once
// What the spectral runs (Run2D.cpp, Run3D.cpp) write alike.
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "twinsim/io/Hdf5.hpp"

namespace twinsim::spectral::detail {

// The on-disk type of a solver's fields.
template <class Real>
constexpr io::DType k_field_type = std::is_same_v<Real, float> ? io::DType::f32 : io::DType::f64;

// The wavenumbers of the /energy_spectrum shells (k = s dk) and what the spectrum is.
inline void describe_energy_spectrum(io::H5File& file, std::uint64_t shells, double dk,
                                     const std::string& layout) {
  std::vector<double> k(shells);
  for (std::uint64_t i = 0; i < shells; ++i) k[i] = double(i) * dk;
  file.write("/energy_spectrum_wavenumber", k.data(), {shells});
  file.set_attribute("/energy_spectrum_wavenumber", "units", std::string("1/length"));
  file.set_attribute("/energy_spectrum", "definition",
                     "E_s = sum of 1/2 |u_k|^2 over modes with round(|k| / dk) = s (energy per "
                     "shell; sum over s = mean kinetic energy)" + layout);
  file.set_attribute("/energy_spectrum", "dk", dk);
}

}  // namespace twinsim::spectral::detail
