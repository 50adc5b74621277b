#pragma once

// Temporary database files for the store tests.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace openbar::test_support {

// Returns a path for this process and the running test, such as
// /tmp/openbar-records-1234-InsertsThenMerges.db.
inline std::filesystem::path temp_database_path(const std::string& prefix) {
    return std::filesystem::temp_directory_path() /
           (prefix + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
}

// Removes the database, its WAL and shared-memory files and the credential
// counter file that SqliteStore maps beside it.
inline void remove_database_files(const std::filesystem::path& path) {
    for (const char* suffix : {"", "-wal", "-shm", "-generation"}) std::filesystem::remove(path.string() + suffix);
}

}  // namespace openbar::test_support
