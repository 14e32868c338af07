// Memory for the big buffers of a model (its weights, a trace's storage): left unwritten (the
// caller fills every byte) and, from kBigBytes on, mapped on 2 MB pages where the kernel allows
// it (transparent huge pages on madvise), so that filling 1 GB costs 500 page faults instead of
// 250,000 and the products that stream it miss the TLB less.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace attnviz {

inline constexpr size_t kBigBytes = 4u << 20;

// Unwritten bytes, 64-byte aligned (2 MB aligned when big); nullptr when out of memory.
void* allocate_big(size_t bytes);
// Gives back what allocate_big(bytes) returned (the same byte count).
void release_big(void* data, size_t bytes);

// A fixed-size block of unwritten bytes from allocate_big. Move-only.
class ByteBuffer {
 public:
  ByteBuffer() = default;
  explicit ByteBuffer(size_t bytes);
  ByteBuffer(ByteBuffer&& other) noexcept { swap(other); }
  ByteBuffer& operator=(ByteBuffer&& other) noexcept {
    ByteBuffer moved(std::move(other));
    swap(moved);
    return *this;
  }
  ByteBuffer(const ByteBuffer&) = delete;
  ByteBuffer& operator=(const ByteBuffer&) = delete;
  ~ByteBuffer() {
    if (data_) release_big(data_, size_);
  }

  uint8_t* data() { return data_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  uint8_t* begin() { return data_; }
  uint8_t* end() { return data_ + size_; }

 private:
  void swap(ByteBuffer& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
  }
  uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// A std::vector allocator that leaves new values unwritten and takes big blocks from
// allocate_big: the forward pass writes every value of its buffers, and zeroing or faulting in
// 50 MB 4 KB at a time costs milliseconds per run.
template <class T>
struct BigAllocator {
  using value_type = T;
  BigAllocator() = default;
  template <class U>
  BigAllocator(const BigAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    void* data = allocate_big(n * sizeof(T));
    if (!data) throw std::bad_alloc();
    return static_cast<T*>(data);
  }
  void deallocate(T* data, size_t n) noexcept { release_big(data, n * sizeof(T)); }
  template <class U>
  void construct(U* where) noexcept {
    ::new (static_cast<void*>(where)) U;
  }
  template <class U, class... Args>
  void construct(U* where, Args&&... args) {
    ::new (static_cast<void*>(where)) U(std::forward<Args>(args)...);
  }
  template <class U>
  bool operator==(const BigAllocator<U>&) const noexcept {
    return true;
  }
};

}  // namespace attnviz
