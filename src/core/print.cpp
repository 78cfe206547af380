// operator<< for Array, in the style of NumPy's repr: array([[1. , 2.5],\n       [3. , 4. ]],
// dtype=float32).  Floats use the fewest digits that read back to the same value (at most 8
// after the point), aligned on the decimal point; scientific notation when magnitudes call for it;
// arrays over 1000 elements are summarised with "..." like NumPy.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/cpu/dispatch.h"
#include "strata/core/array.h"

namespace strata {

namespace {

constexpr int kPrecision = 8;
constexpr int64_t kSummariseAbove = 1000;
constexpr int64_t kEdgeItems = 3;
constexpr size_t kLineWidth = 75;

// Shortest "%.{p}f" / "%.{p}e" (p <= 8) that reads back to the same value of type T.
template <typename T>
std::string shortest(double v, char conversion) {
  char buf[64];
  for (int p = 0; p <= kPrecision; ++p) {
    std::snprintf(buf, sizeof buf, conversion == 'f' ? "%.*f" : "%.*e", p, v);
    if (cpu::convert<double>(cpu::convert<T>(std::strtod(buf, nullptr))) == v) {
      return buf;
    }
  }
  return buf;
}

// Formats all elements as strings of equal width, NumPy style.
template <typename T>
std::vector<std::string> format_elements(const std::vector<T>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  if constexpr (std::is_same_v<T, bool>) {
    for (bool v : values) out.push_back(v ? " True" : "False");
    return out;
  } else if constexpr (std::is_integral_v<T>) {
    for (T v : values) out.push_back(std::to_string(v));
  } else {
    double max_abs = 0, min_abs = INFINITY;
    for (T x : values) {
      const double v = static_cast<double>(cpu::convert<double>(x));
      if (std::isfinite(v) && v != 0) {
        max_abs = std::max(max_abs, std::fabs(v));
        min_abs = std::min(min_abs, std::fabs(v));
      }
    }
    const bool scientific =
        max_abs >= 1e16 || (max_abs > 0 && (min_abs < 1e-4 || max_abs / min_abs > 1e3));
    // Mantissa/fraction digits, padded to a common length so decimal points line up.
    std::vector<std::string> heads, tails;
    size_t tail_width = 0;
    for (T x : values) {
      const double v = cpu::convert<double>(x);
      if (!std::isfinite(v)) {
        heads.push_back(std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        tails.emplace_back();
        continue;
      }
      std::string s = shortest<T>(v, scientific ? 'e' : 'f');
      std::string exponent;
      if (scientific) {
        const size_t e = s.find('e');
        exponent = s.substr(e);
        s = s.substr(0, e);
      }
      const size_t dot = s.find('.');
      std::string head = dot == std::string::npos ? s + "." : s.substr(0, dot + 1);
      std::string tail = dot == std::string::npos ? "" : s.substr(dot + 1);
      if (!scientific) {  // strip trailing zeros of the fraction ("2.50" -> "2.5")
        while (!tail.empty() && tail.back() == '0') tail.pop_back();
      }
      heads.push_back(head);
      tails.push_back(tail + exponent);
      tail_width = std::max(tail_width, tail.size());
    }
    for (size_t i = 0; i < heads.size(); ++i) {
      std::string t = tails[i];
      const size_t e = t.find('e');
      std::string frac = e == std::string::npos ? t : t.substr(0, e);
      const std::string exponent = e == std::string::npos ? "" : t.substr(e);
      if (heads[i].back() == '.') {
        frac.resize(tail_width, scientific ? '0' : ' ');
      }
      out.push_back(heads[i] + frac + exponent);
    }
  }
  size_t width = 0;
  for (const auto& s : out) width = std::max(width, s.size());
  for (auto& s : out) s.insert(0, width - s.size(), ' ');
  return out;
}

// Writes the nested brackets for `shape` over row-major `items`; `indent` is the column of the
// first '['.  Summarised axes show their first and last kEdgeItems entries around "...".
struct Printer {
  const std::vector<std::string>& items;
  const Shape& shape;
  bool summarise;
  size_t indent;
  std::string out;

  int64_t shown(int axis) const {
    const int64_t n = shape[static_cast<size_t>(axis)];
    return summarise && n > 2 * kEdgeItems ? 2 * kEdgeItems : n;
  }
  // Index into the source for position i of `shown` positions along axis.
  int64_t source_index(int axis, int64_t i) const {
    const int64_t n = shape[static_cast<size_t>(axis)];
    return shown(axis) < n && i >= kEdgeItems ? n - 2 * kEdgeItems + i : i;
  }
  bool gap_before(int axis, int64_t i) const {
    return shown(axis) < shape[static_cast<size_t>(axis)] && i == kEdgeItems;
  }

  void print(int axis, int64_t offset, int64_t stride_items) {
    const int nd = static_cast<int>(shape.size());
    const int64_t n = shape[static_cast<size_t>(axis)];
    const int64_t inner = stride_items / std::max<int64_t>(n, 1);
    out += '[';
    if (axis == nd - 1) {
      size_t column = indent + static_cast<size_t>(axis) + 1;
      for (int64_t i = 0; i < shown(axis); ++i) {
        std::string piece = gap_before(axis, i) ? "..., " : "";
        piece += items[static_cast<size_t>(offset + source_index(axis, i))];
        if (i > 0) {
          if (column + piece.size() + 2 > kLineWidth) {
            out += ",\n" + std::string(indent + static_cast<size_t>(axis) + 1, ' ');
            column = indent + static_cast<size_t>(axis) + 1;
          } else {
            out += ", ";
            column += 2;
          }
        }
        out += piece;
        column += piece.size();
      }
    } else {
      const std::string blank_lines(static_cast<size_t>(nd - axis - 1), '\n');
      for (int64_t i = 0; i < shown(axis); ++i) {
        if (i > 0)
          out += "," + blank_lines + std::string(indent + static_cast<size_t>(axis) + 1, ' ');
        if (gap_before(axis, i))
          out += "...," + blank_lines + std::string(indent + static_cast<size_t>(axis) + 1, ' ');
        print(axis + 1, offset + source_index(axis, i) * inner, inner);
      }
    }
    out += ']';
  }
};

}  // namespace

std::ostream& operator<<(std::ostream& os, const Array& a) {
  if (!a.valid()) return os << "Array(<empty handle>)";
  if (a.is_traced()) {  // like JAX's Traced<ShapedArray(float32[3])>
    return os << "Traced<" << a.dtype() << to_string(a.shape()) << ">";
  }
  std::vector<std::string> items;
  cpu::visit_dtype(a.dtype(),
                   [&](auto tag) { items = format_elements(a.to_vector<decltype(tag)>()); });
  // The default dtypes of NumPy's repr (float64, int64, bool) are left implicit.
  const bool show_dtype =
      a.dtype() != DType::Float64 && a.dtype() != DType::Int64 && a.dtype() != DType::Bool;
  const std::string dtype_suffix = show_dtype ? detail::cat(", dtype=", a.dtype()) : "";
  if (a.ndim() == 0) return os << "array(" << items[0] << dtype_suffix << ")";
  if (a.size() == 0) {  // NumPy names the dtype of empty arrays even when it is a default
    os << "array([]";
    if (a.ndim() > 1) os << ", shape=" << to_string(a.shape());
    return os << ", dtype=" << a.dtype() << ")";
  }
  Printer printer{items, a.shape(), a.size() > kSummariseAbove, 6, {}};
  printer.print(0, 0, a.size());
  return os << "array(" << printer.out << dtype_suffix << ")";
}

std::string to_string(const Array& a) {
  std::ostringstream os;
  os << a;
  return os.str();
}

}  // namespace strata
