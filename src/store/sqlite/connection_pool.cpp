#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

ConnectionPool::ConnectionPool(std::string path) : path_(std::move(path)) {
    auto connection = std::make_unique<Connection>(path_);
    apply_migrations(*connection);
    idle_.push_back(std::move(connection));
}

ConnectionPool::Lease::~Lease() {
    std::lock_guard lock(pool_.mutex_);
    pool_.idle_.push_back(std::move(connection_));
}

ConnectionPool::Lease ConnectionPool::lease() {
    {
        std::lock_guard lock(mutex_);
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return Lease(*this, std::move(connection));
        }
    }
    return Lease(*this, std::make_unique<Connection>(path_));
}

}  // namespace openbar::store::sqlite
