#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace openbar::store {

// One row of the audit log: an authentication decision or a credential
// change. It never contains a password, token, TOTP code or TOTP secret.
struct AuditEvent {
    std::string occurred_at;           // UTC, "YYYY-MM-DDTHH:MM:SSZ"; empty: the time of writing
    std::string event;                 // see the audit::event_* names
    std::optional<std::int64_t> company_id;
    std::string company;               // company name; filled by list_audit_events()
    std::string username;              // empty when unknown
    std::optional<std::int64_t> token_id;
    std::string method;                // token, basic, access-token, cli; empty when unknown
    std::string outcome;               // success or failure
    std::string reason;                // machine-readable reason code; empty on success
    std::string client_address;        // empty for CLI changes
    std::string user_agent;
    std::int64_t count = 1;            // requests folded into this row
    // Rows written with the same non-empty key become one row whose count
    // is the sum, so repeated failures cannot grow the table without bound.
    std::string aggregate_key;
};

// Successful token requests of one token within one minute, from one
// client address and user agent, folded into one audit row.
struct TokenUseCount {
    std::int64_t token_id = 0;
    std::int64_t company_id = 0;
    std::string username;
    std::string method;
    std::string minute;                // UTC start of the minute, "YYYY-MM-DDTHH:MM:00Z"
    std::string client_address;
    std::string user_agent;
    std::int64_t count = 0;
};

// The latest use of a token, for access_tokens.last_used_at.
struct TokenLastUse {
    std::int64_t token_id = 0;
    std::string used_at;               // UTC, "YYYY-MM-DDTHH:MM:SSZ"
    std::string client_address;
};

struct AuditQuery {
    std::optional<std::int64_t> company_id;
    std::optional<std::string> since;  // UTC, "YYYY-MM-DDTHH:MM:SSZ"; rows at or after it
};

// Storage of the audit log and of token use. Writes come in batches from
// the background audit writer, so each call is one transaction.
class AuditStore {
public:
    virtual ~AuditStore() = default;

    // Appends individual events, adds token use counts to their minute's row
    // (creating it if needed) and updates tokens' last use, all in one
    // transaction. A token that no longer exists is skipped.
    virtual void write_audit_batch(const std::vector<AuditEvent>& events, const std::vector<TokenUseCount>& uses,
                                   const std::vector<TokenLastUse>& last_uses) = 0;

    // Deletes rows that occurred before `cutoff` (UTC, "YYYY-MM-DDTHH:MM:SSZ");
    // returns how many.
    virtual std::int64_t delete_audit_events_before(const std::string& cutoff) = 0;

    // Returns matching rows, oldest first.
    virtual std::vector<AuditEvent> list_audit_events(const AuditQuery& query) = 0;
};

}  // namespace openbar::store
