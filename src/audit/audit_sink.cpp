#include "audit/audit_sink.hpp"

#include "audit/audit_time.hpp"

namespace openbar::audit {

void StoreAuditSink::record(store::AuditEvent event) {
    if (event.user_agent.size() > max_user_agent_bytes) event.user_agent.resize(max_user_agent_bytes);
    store_.write_audit_batch({std::move(event)}, {}, {});
}

void StoreAuditSink::record_token_use(TokenUse use) {
    store::TokenUseCount count{use.token_id,       use.company_id, use.username,
                               use.method,         format_utc_minute(use.used_at),
                               use.client_address, use.user_agent.substr(0, max_user_agent_bytes),
                               1};
    store::TokenLastUse last_use{use.token_id, format_utc(use.used_at), use.client_address};
    store_.write_audit_batch({}, {std::move(count)}, {std::move(last_use)});
}

}  // namespace openbar::audit
