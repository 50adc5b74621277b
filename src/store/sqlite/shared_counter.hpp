#pragma once

#include <cstdint>
#include <string>

namespace openbar::store::sqlite {

// A 64-bit counter in a small file that every process using the same
// database maps into memory. Each process reads another's increments with one
// memory load and no system call, which makes the counter cheap enough to
// read on every request.
//
// SQLite has no cheap signal for "another connection committed": even
// `PRAGMA data_version` needs a read transaction, with its file locks. The
// credential writes of the store increment this counter after they commit,
// so the server's authentication caches can check the counter per request.
class SharedCounter {
public:
    // Maps `path`, creating it (mode 0600) when missing. Throws
    // StoreError(unavailable) when the file cannot be created or mapped.
    explicit SharedCounter(const std::string& path);
    // A counter private to this process, for databases without a file.
    SharedCounter();
    SharedCounter(const SharedCounter&) = delete;
    SharedCounter& operator=(const SharedCounter&) = delete;
    ~SharedCounter();

    std::uint64_t load() const;
    void increment();

    // Increments the counter when it goes out of scope, whether the write it
    // guards committed or failed, so no committed change goes unannounced.
    class IncrementOnExit {
    public:
        explicit IncrementOnExit(SharedCounter& counter) : counter_(counter) {}
        IncrementOnExit(const IncrementOnExit&) = delete;
        IncrementOnExit& operator=(const IncrementOnExit&) = delete;
        ~IncrementOnExit() { counter_.increment(); }

    private:
        SharedCounter& counter_;
    };

private:
    std::uint64_t* value_ = nullptr;
    std::uint64_t private_value_ = 0;
    void* mapping_ = nullptr;
    std::size_t mapping_size_ = 0;
};

}  // namespace openbar::store::sqlite
