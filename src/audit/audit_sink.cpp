#include "audit/audit_sink.hpp"

#include "audit/audit_time.hpp"

namespace openbar::audit {

std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    // Step back over continuation bytes (10xxxxxx) to the start of the
    // sequence that would be split, and cut before it.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

void truncate_utf8(std::string& text, std::size_t max_bytes) {
    text.resize(utf8_prefix(text, max_bytes).size());
}

void StoreAuditSink::record(store::AuditEvent event) {
    truncate_utf8(event.user_agent, max_user_agent_bytes);
    truncate_utf8(event.username, max_username_bytes);
    store_.write_audit_batch({std::move(event)}, {}, {});
}

void StoreAuditSink::record_token_use(const TokenUse& use) {
    store::TokenUseCount count{use.token_id,
                               use.company_id,
                               std::string(use.username),
                               std::string(use.method),
                               format_utc_minute(use.used_at),
                               std::string(use.client_address),
                               std::string(utf8_prefix(use.user_agent, max_user_agent_bytes)),
                               1};
    store::TokenLastUse last_use{use.token_id, format_utc(use.used_at), std::string(use.client_address)};
    store_.write_audit_batch({}, {std::move(count)}, {std::move(last_use)});
}

}  // namespace openbar::audit
