#pragma once
// External fields acting on each particle alone, for both backends.
#include <cmath>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::md {

// U(x) = amplitude cos(wavenumber x) along one axis; the wavenumber is 2 pi waves / edge, so the
// field is periodic in the box and wrapping a position changes neither energy nor force.
struct FieldParams {
  int axis;
  double amplitude;   // epsilon
  double wavenumber;  // 1/sigma
};

struct FieldTerm {
  double energy;  // U(x)
  double force;   // -dU/dx along the axis
};

TWINSIM_HD inline FieldTerm periodic_field(double x, const FieldParams& p) {
  const double phase = p.wavenumber * x;
  return {p.amplitude * cos(phase), p.amplitude * p.wavenumber * sin(phase)};
}

}  // namespace twinsim::md
