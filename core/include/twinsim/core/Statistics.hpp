#pragma once
// Statistics of sampled series that runs report and tests check: means, block-averaged
// standard errors, least-squares slopes.
#include <cstddef>
#include <vector>

namespace twinsim::core {

// Arithmetic mean, summed in order; 0 for no samples.
double mean(const std::vector<double>& v);

// Standard error of the mean of correlated samples by block averaging (Flyvbjerg & Petersen
// 1989): the spread of the means of `blocks` equal blocks (a remainder at the end is left
// out); 0 with fewer samples than blocks.
double block_error(const std::vector<double>& v, std::size_t blocks = 5);

// Least-squares slope of y against x; 0 when x does not vary.
double slope(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace twinsim::core
