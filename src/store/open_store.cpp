#include <stdexcept>
#include <string>

#include "store/sqlite/sqlite_store.hpp"
#include "store/store.hpp"

namespace openbar::store {

std::unique_ptr<Store> open_store(std::string_view url) {
    constexpr std::string_view sqlite_scheme = "sqlite:";
    if (url.starts_with(sqlite_scheme)) {
        std::string path(url.substr(sqlite_scheme.size()));
        if (path.empty()) {
            throw std::invalid_argument("database URL '" + std::string(url) + "' has no path; use sqlite:PATH");
        }
        return std::make_unique<sqlite::SqliteStore>(path);
    }
    throw std::invalid_argument("unsupported database URL '" + std::string(url) +
                                "'; use sqlite:PATH, for example sqlite:openbar.db");
}

}  // namespace openbar::store
