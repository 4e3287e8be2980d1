#pragma once
// A sum of doubles whose result does not depend on the order of the additions: each value is
// added exactly into a long fixed-point accumulator (integer digits), so sums taken in any
// grouping (threads, ranks, blocks of any shape) and then merged are the same integer, and
// value() turns that integer into the same double. Host and device (TWINSIM_HD).
//
// Range: the bits of each value from 2^-256 up are kept (smaller bits are cut off, towards zero,
// the same for the value wherever it is added); a value of magnitude 2^190 or more counts as an
// infinity of its sign. A NaN, or infinities of both signs, make the sum NaN. Sums of at most
// 2^31 values per accumulator before normalize() (each digit then stays below 2^63).
#include <cstdint>
#include <cstring>
#include <limits>

#include "twinsim/core/HostDevice.hpp"

namespace twinsim::core {

struct ExactSum {
  static constexpr int k_digits = 16;           // of 32 bits each (held in 64, for the carries)
  static constexpr int k_low = -256;            // the weight of digit 0's lowest bit: 2^k_low
  static constexpr int k_words = k_digits + 3;  // what merge and an all-reduce add, as int64

  // digit[i] * 2^(32 i + k_low) summed, then the NaNs, +infinities and -infinities counted.
  std::int64_t word[k_words];

  TWINSIM_HD void clear() {
    for (int i = 0; i < k_words; ++i) word[i] = 0;
  }

  TWINSIM_HD void add(double v) {
    std::uint64_t bits;
#if defined(__CUDA_ARCH__)
    bits = std::uint64_t(__double_as_longlong(v));
#else
    std::memcpy(&bits, &v, sizeof bits);
#endif
    const bool negative = (bits >> 63) != 0;
    const int e = int((bits >> 52) & 0x7ff);
    const std::uint64_t fraction = bits & ((std::uint64_t(1) << 52) - 1);
    if (e == 0x7ff) {  // infinity or NaN
      ++word[fraction != 0 ? k_digits : negative ? k_digits + 2 : k_digits + 1];
      return;
    }
    if (e == 0) return;  // subnormal: below 2^-1022, far below the range
    std::uint64_t m = fraction | (std::uint64_t(1) << 52);  // v = m 2^(e - 1075)
    if (e - 1075 + 53 > 190) {
      ++word[negative ? k_digits + 2 : k_digits + 1];
      return;
    }
    int p = e - 1075 - k_low;  // the bit of the accumulator m's lowest bit goes to
    if (p < 0) {
      m = -p >= 64 ? 0 : m >> -p;
      p = 0;
    }
    const int i = p / 32, s = p % 32;
    const std::uint64_t mask = 0xffffffffu;
    const std::uint64_t chunk[3] = {(m << s) & mask, (m >> (32 - s)) & mask,
                                    s == 0 ? 0 : m >> (64 - s)};
    for (int k = 0; k < 3; ++k) {
      const std::int64_t d = std::int64_t(chunk[k]);
      word[i + k] += negative ? -d : d;
    }
  }

  // Carries moved up: digits 0 .. k_digits - 2 in [0, 2^32), the top one signed. The same
  // words for the same exact value.
  TWINSIM_HD void normalize() {
    for (int i = 0; i + 1 < k_digits; ++i) {
      const std::int64_t carry =
          word[i] >= 0 ? word[i] / 4294967296LL : -((-word[i] + 4294967295LL) / 4294967296LL);
      word[i] -= carry * 4294967296LL;
      word[i + 1] += carry;
    }
  }

  TWINSIM_HD void merge(const ExactSum& other) {
    for (int i = 0; i < k_words; ++i) word[i] += other.word[i];
  }

  // The sum, rounded to a double (normalizes).
  double value() {
    normalize();
    const std::int64_t nan = word[k_digits], up = word[k_digits + 1], down = word[k_digits + 2];
    if (nan > 0 || (up > 0 && down > 0)) return std::numeric_limits<double>::quiet_NaN();
    if (up > 0) return std::numeric_limits<double>::infinity();
    if (down > 0) return -std::numeric_limits<double>::infinity();
    // Sign and magnitude, so that no digit cancels another in floating point.
    const bool negative = word[k_digits - 1] < 0;
    std::int64_t d[k_digits];
    for (int i = 0; i < k_digits; ++i) d[i] = negative ? -word[i] : word[i];
    for (int i = 0; i + 1 < k_digits; ++i) {  // borrows of the negated digits
      while (d[i] < 0) {
        d[i] += 4294967296LL;
        d[i + 1] -= 1;
      }
    }
    double sum = 0, weight = 1;
    for (int i = 0; i < -k_low / 32; ++i) weight *= 1.0 / 4294967296.0;  // 2^k_low
    for (int i = 0; i < k_digits; ++i, weight *= 4294967296.0) sum += double(d[i]) * weight;
    return negative ? -sum : sum;
  }
};

}  // namespace twinsim::core
