// The loss curve of examples/char_lm.cpp as a self-contained SVG picture: training and held-out
// bits per character against the training step, with axes, ticks, labels and a legend.  Plain
// C++ (no plotting library), so the demo can draw its own curve next to its checkpoint.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace char_lm {

// One curve: (step, value) points drawn as a polyline, optionally with a dot at each point.
struct Series {
  std::string label, colour;
  std::vector<std::pair<double, double>> points;
  double stroke_width = 2, opacity = 1;
  bool dots = false;
};

// Tick positions covering [lo, hi]: multiples of 1, 2 or 5 times a power of ten, about 5 of them.
inline std::vector<double> nice_ticks(double lo, double hi) {
  const double raw = (hi - lo) / 5;
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * power;
    if (step >= raw) break;
  }
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

// A number as a tick label: no more decimals than the tick step needs.
inline std::string tick_label(double v, double step) {
  const int decimals = step >= 1 ? 0 : static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// s with the characters XML gives a meaning escaped (a title may quote a file name).
inline std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// An SVG document (width x height pixels) plotting `series` under `title`.  The axes cover every
// point; x starts at 0 (step 0: before training).
inline std::string line_chart_svg(const std::string& title, const std::string& x_label,
                                  const std::string& y_label, const std::vector<Series>& series,
                                  int width = 760, int height = 440) {
  double x_max = 1, y_lo = std::numeric_limits<double>::infinity(), y_hi = -y_lo;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.points) {
      x_max = std::max(x_max, x);
      y_lo = std::min(y_lo, y);
      y_hi = std::max(y_hi, y);
    }
  }
  if (!(y_lo <= y_hi)) y_lo = 0, y_hi = 1;  // no points
  if (y_hi - y_lo < 1e-6) y_lo -= 0.5, y_hi += 0.5;
  // Widen the ranges to whole ticks, so the curves meet no frame edge between ticks.
  const std::vector<double> x_ticks = nice_ticks(0, x_max);
  std::vector<double> y_ticks = nice_ticks(y_lo, y_hi);
  const double x_step = x_ticks.size() > 1 ? x_ticks[1] - x_ticks[0] : 1;
  const double y_step = y_ticks.size() > 1 ? y_ticks[1] - y_ticks[0] : 1;
  x_max = std::ceil(x_max / x_step - 1e-9) * x_step;
  y_lo = std::floor(y_lo / y_step + 1e-9) * y_step;
  y_hi = std::ceil(y_hi / y_step - 1e-9) * y_step;
  y_ticks = nice_ticks(y_lo, y_hi);

  const double left = 64, right = 24, top = 44, bottom = 56;
  const double plot_w = width - left - right, plot_h = height - top - bottom;
  const auto px = [&](double x) { return left + x / x_max * plot_w; };
  const auto py = [&](double y) { return top + (y_hi - y) / (y_hi - y_lo) * plot_h; };
  const auto num = [](double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f", v);
    return std::string(buf);
  };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" viewBox=\"0 0 " << width << " " << height
      << "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << num(left + plot_w / 2) << "\" y=\"24\" text-anchor=\"middle\" "
      << "font-size=\"15\">" << xml_escape(title) << "</text>\n";
  // Grid lines and tick labels.
  svg << "<g stroke=\"#e4e4e4\" stroke-width=\"1\">\n";
  for (double t : x_ticks) {
    svg << "<line x1=\"" << num(px(t)) << "\" y1=\"" << num(top) << "\" x2=\"" << num(px(t))
        << "\" y2=\"" << num(top + plot_h) << "\"/>\n";
  }
  for (double t : y_ticks) {
    svg << "<line x1=\"" << num(left) << "\" y1=\"" << num(py(t)) << "\" x2=\""
        << num(left + plot_w) << "\" y2=\"" << num(py(t)) << "\"/>\n";
  }
  svg << "</g>\n<g fill=\"#333\">\n";
  for (double t : x_ticks) {
    svg << "<text x=\"" << num(px(t)) << "\" y=\"" << num(top + plot_h + 18)
        << "\" text-anchor=\"middle\">" << tick_label(t, x_step) << "</text>\n";
  }
  for (double t : y_ticks) {
    svg << "<text x=\"" << num(left - 8) << "\" y=\"" << num(py(t) + 4) << "\" text-anchor=\"end\">"
        << tick_label(t, y_step) << "</text>\n";
  }
  svg << "<text x=\"" << num(left + plot_w / 2) << "\" y=\"" << height - 14
      << "\" text-anchor=\"middle\">" << xml_escape(x_label) << "</text>\n"
      << "<text transform=\"translate(18 " << num(top + plot_h / 2)
      << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(y_label) << "</text>\n</g>\n";
  svg << "<rect x=\"" << num(left) << "\" y=\"" << num(top) << "\" width=\"" << num(plot_w)
      << "\" height=\"" << num(plot_h) << "\" fill=\"none\" stroke=\"#333\"/>\n";

  // The curves, then the legend (top right, one row per series).
  for (const Series& s : series) {
    if (s.points.empty()) continue;
    svg << "<polyline fill=\"none\" stroke=\"" << s.colour << "\" stroke-width=\"" << s.stroke_width
        << "\" stroke-opacity=\"" << s.opacity << "\" stroke-linejoin=\"round\" points=\"";
    for (size_t i = 0; i < s.points.size(); ++i) {
      svg << (i ? " " : "") << num(px(s.points[i].first)) << "," << num(py(s.points[i].second));
    }
    svg << "\"/>\n";
    if (s.dots) {
      svg << "<g fill=\"" << s.colour << "\">\n";
      for (const auto& [x, y] : s.points) {
        svg << "<circle cx=\"" << num(px(x)) << "\" cy=\"" << num(py(y)) << "\" r=\"3\"/>\n";
      }
      svg << "</g>\n";
    }
  }
  const double legend_x = left + plot_w - 204;
  double legend_y = top + 18;
  svg << "<rect x=\"" << num(legend_x - 8) << "\" y=\"" << num(legend_y - 12)
      << "\" width=\"200\" height=\"" << num(18.0 * static_cast<double>(series.size()) + 6)
      << "\" fill=\"white\" fill-opacity=\"0.85\" stroke=\"#ccc\"/>\n";
  for (const Series& s : series) {
    svg << "<line x1=\"" << num(legend_x) << "\" y1=\"" << num(legend_y) << "\" x2=\""
        << num(legend_x + 24) << "\" y2=\"" << num(legend_y) << "\" stroke=\"" << s.colour
        << "\" stroke-width=\"" << s.stroke_width << "\" stroke-opacity=\"" << s.opacity
        << "\"/>\n<text x=\"" << num(legend_x + 32) << "\" y=\"" << num(legend_y + 4) << "\">"
        << xml_escape(s.label) << "</text>\n";
    legend_y += 18;
  }
  svg << "</svg>\n";
  return svg.str();
}

// The char_lm loss curve: per-step training loss (faint; averaged over buckets of steps when
// there are more than 1000), its moving average, and the held-out loss at its evaluation steps.
// train_bits[i] is the loss of step i + 1; eval holds (step, bits) pairs.
inline std::string loss_curve_svg(const std::vector<double>& train_bits,
                                  const std::vector<std::pair<double, double>>& eval,
                                  const std::string& title) {
  Series raw{"training batch", "#4c72b0", {}, 1, 0.3};
  Series smooth{"training, moving average", "#4c72b0", {}, 2};
  Series held_out{"held-out", "#dd8452", eval, 2, 1, true};
  const size_t n = train_bits.size(), bucket = std::max<size_t>(1, (n + 999) / 1000);
  for (size_t begin = 0; begin < n; begin += bucket) {
    const size_t end = std::min(n, begin + bucket);
    double sum = 0;
    for (size_t i = begin; i < end; ++i) sum += train_bits[i];
    raw.points.emplace_back(static_cast<double>(begin + end + 1) / 2,
                            sum / static_cast<double>(end - begin));
  }
  double average = 0;
  for (size_t i = 0; i < n; ++i) {
    average = i == 0 ? train_bits[i] : 0.9 * average + 0.1 * train_bits[i];
    if ((i + 1) % bucket == 0 || i + 1 == n) {
      smooth.points.emplace_back(static_cast<double>(i + 1), average);
    }
  }
  return line_chart_svg(title, "training step", "bits per character", {raw, smooth, held_out});
}

}  // namespace char_lm
