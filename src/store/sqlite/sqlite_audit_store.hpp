#pragma once

#include "store/audit_store.hpp"
#include "store/sqlite/connection_pool.hpp"

namespace openbar::store::sqlite {

class SqliteAuditStore final : public AuditStore {
public:
    explicit SqliteAuditStore(ConnectionPool& pool) : pool_(pool) {}

    void write_audit_batch(const std::vector<AuditEvent>& events, const std::vector<TokenUseCount>& uses,
                           const std::vector<TokenLastUse>& last_uses) override;
    std::int64_t delete_audit_events_before(const std::string& cutoff) override;
    std::vector<AuditEvent> list_audit_events(const AuditQuery& query) override;

private:
    ConnectionPool& pool_;
};

}  // namespace openbar::store::sqlite
