#include "store/sqlite/shared_counter.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "store/store.hpp"

namespace openbar::store::sqlite {
namespace {

// std::atomic_ref requires this alignment, which a page-aligned mapping has.
static_assert(std::atomic_ref<std::uint64_t>::required_alignment <= alignof(std::uint64_t));
static_assert(std::atomic_ref<std::uint64_t>::is_always_lock_free,
              "a counter shared between processes must be lock-free");

[[noreturn]] void fail(const std::string& path, const char* step) {
    throw StoreError(StoreError::Kind::unavailable,
                     "cannot use the change counter file '" + path + "' (" + step + "): " + std::strerror(errno) +
                         "; it lives next to the database, whose directory must be writable");
}

}  // namespace

SharedCounter::SharedCounter() : value_(&private_value_) {}

SharedCounter::SharedCounter(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) fail(path, "open");
    struct stat info{};
    if (::fstat(fd, &info) != 0) {
        ::close(fd);
        fail(path, "fstat");
    }
    if (!S_ISREG(info.st_mode)) {
        ::close(fd);
        errno = EINVAL;
        fail(path, "not a regular file");
    }
    // Allocating blocks that another process allocated already changes
    // nothing, and new bytes read as zero. The blocks must exist on disk
    // before the mapping is written: a write to a hole in a full file system
    // raises SIGBUS, where posix_fallocate returns ENOSPC.
    std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    if (int error = ::posix_fallocate(fd, 0, static_cast<off_t>(size)); error != 0) {
        ::close(fd);
        errno = error;
        fail(path, "posix_fallocate");
    }
    void* mapping = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd);
    if (mapping == MAP_FAILED) fail(path, "mmap");
    mapping_ = mapping;
    mapping_size_ = size;
    value_ = static_cast<std::uint64_t*>(mapping);
}

SharedCounter::~SharedCounter() {
    if (mapping_) ::munmap(mapping_, mapping_size_);
}

std::uint64_t SharedCounter::load() const {
    return std::atomic_ref<std::uint64_t>(*value_).load(std::memory_order_acquire);
}

void SharedCounter::increment() {
    std::atomic_ref<std::uint64_t>(*value_).fetch_add(1, std::memory_order_acq_rel);
}

}  // namespace openbar::store::sqlite
