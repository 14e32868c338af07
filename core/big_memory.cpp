#include "core/big_memory.h"

#include <sys/mman.h>

#include <cstdlib>

namespace attnviz {
namespace {

constexpr size_t kHugePage = 2u << 20;

size_t mapped_size(size_t bytes) {
  return (bytes + kHugePage - 1) / kHugePage * kHugePage;
}

}  // namespace

void* allocate_big(size_t bytes) {
  if (bytes < kBigBytes) return std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  // Map one huge page more than needed and keep the 2 MB aligned part.
  const size_t size = mapped_size(bytes);
  void* mapped =
      mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(mapped);
  const uintptr_t aligned = (start + kHugePage - 1) / kHugePage * kHugePage;
  if (aligned > start) munmap(mapped, aligned - start);
  const uintptr_t tail = aligned + size, mapped_end = start + size + kHugePage;
  if (mapped_end > tail) munmap(reinterpret_cast<void*>(tail), mapped_end - tail);
  void* data = reinterpret_cast<void*>(aligned);
  madvise(data, size, MADV_HUGEPAGE);  // advice only: without THP, ordinary pages
  return data;
}

void release_big(void* data, size_t bytes) {
  if (!data) return;
  if (bytes < kBigBytes) {
    std::free(data);
    return;
  }
  munmap(data, mapped_size(bytes));
}

ByteBuffer::ByteBuffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  data_ = static_cast<uint8_t*>(allocate_big(bytes));
  if (!data_) throw std::bad_alloc();
}

}  // namespace attnviz
