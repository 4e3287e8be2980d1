#include "twinsim/core/Statistics.hpp"

#include <cmath>

namespace twinsim::core {

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0.0 : s / double(v.size());
}

double block_error(const std::vector<double>& v, std::size_t blocks) {
  const std::size_t per = blocks > 1 ? v.size() / blocks : 0;
  if (per == 0) return 0.0;
  std::vector<double> means;
  for (std::size_t b = 0; b < blocks; ++b)
    means.push_back(mean(std::vector<double>(v.begin() + b * per, v.begin() + (b + 1) * per)));
  const double m = mean(means);
  double ss = 0;
  for (double x : means) ss += (x - m) * (x - m);
  return std::sqrt(ss / double(blocks * (blocks - 1)));
}

double slope(const std::vector<double>& x, const std::vector<double>& y) {
  const double mx = mean(x), my = mean(y);
  double sxy = 0, sxx = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) * (x[k] - mx);
  }
  return sxx > 0 ? sxy / sxx : 0.0;
}

}  // namespace twinsim::core
