// A vector of trivially copyable values that keeps its first N elements inline.
//
// Kernels keep per-axis bookkeeping (merged sizes and strides, odometer indices) in these, so a
// kernel run on arrays of rank <= N never touches the heap; a higher rank spills to a
// std::vector and still works.
#pragma once

#include <cstddef>
#include <type_traits>
#include <vector>

namespace strata::cpu {

inline constexpr size_t kInlineAxes = 8;

template <typename T, size_t N = kInlineAxes>
class SmallVector {
  static_assert(std::is_trivially_copyable_v<T>);

 public:
  SmallVector() = default;
  SmallVector(size_t n, T value) { resize(n, value); }
  template <typename It>
  SmallVector(It first, It last) {
    for (; first != last; ++first) push_back(*first);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Spilled elements live in heap_, which is then never empty; else they are inline.
  T* data() { return heap_.empty() ? inline_ : heap_.data(); }
  const T* data() const { return heap_.empty() ? inline_ : heap_.data(); }
  T& operator[](size_t i) { return data()[i]; }
  const T& operator[](size_t i) const { return data()[i]; }
  T& back() { return data()[size_ - 1]; }
  const T& back() const { return data()[size_ - 1]; }
  T* begin() { return data(); }
  T* end() { return data() + size_; }
  const T* begin() const { return data(); }
  const T* end() const { return data() + size_; }

  void push_back(T v) {
    if (heap_.empty() && size_ < N) {
      inline_[size_++] = v;
      return;
    }
    spill();
    heap_.push_back(v);
    ++size_;
  }
  void resize(size_t n, T value = T{}) {
    if (heap_.empty() && n <= N) {
      for (size_t i = size_; i < n; ++i) inline_[i] = value;
      size_ = n;
      return;
    }
    spill();
    heap_.resize(n, value);
    size_ = n;
  }

 private:
  void spill() {
    if (heap_.empty()) heap_.assign(inline_, inline_ + size_);
  }
  T inline_[N] = {};
  std::vector<T> heap_;
  size_t size_ = 0;
};

}  // namespace strata::cpu
