#include "store/sqlite/sqlite_audit_store.hpp"

#include <string>

namespace openbar::store::sqlite {
namespace {

constexpr const char* now_utc = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

Statement& bind_optional(Statement& statement, int index, const std::optional<std::int64_t>& value) {
    return value ? statement.bind(index, *value) : statement.bind_null(index);
}

// Identifies the row that counts one token's requests from one client in
// one minute; the fields are joined with a separator none of them contains
// (addresses and method names have no newline, and user agents come from a
// header line, which cannot hold one).
std::string aggregate_key(const TokenUseCount& use) {
    return std::to_string(use.token_id) + "\n" + use.minute + "\n" + use.method + "\n" + use.client_address + "\n" +
           use.user_agent;
}

}  // namespace

void SqliteAuditStore::write_audit_batch(const std::vector<AuditEvent>& events, const std::vector<TokenUseCount>& uses,
                                         const std::vector<TokenLastUse>& last_uses) {
    static const std::string insert_event =
        std::string(
            "INSERT INTO audit_events (occurred_at, event, company_id, username, token_id, method, outcome, reason, "
            "client_address, user_agent, count) VALUES (coalesce(nullif(?, ''), ") +
        now_utc + "), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    auto connection = pool_.lease();
    WriteTransaction transaction(*connection);

    for (const AuditEvent& event : events) {
        auto statement = connection->prepare(insert_event.c_str());
        statement.bind(1, event.occurred_at).bind(2, event.event);
        bind_optional(statement, 3, event.company_id);
        statement.bind(4, event.username);
        bind_optional(statement, 5, event.token_id);
        statement.bind(6, event.method)
            .bind(7, event.outcome)
            .bind(8, event.reason)
            .bind(9, event.client_address)
            .bind(10, event.user_agent)
            .bind(11, event.count)
            .run();
    }

    for (const TokenUseCount& use : uses) {
        connection
            ->prepare(
                "INSERT INTO audit_events (occurred_at, event, company_id, username, token_id, method, outcome, "
                "client_address, user_agent, count, aggregate_key) "
                "VALUES (?, 'authentication', ?, ?, ?, ?, 'success', ?, ?, ?, ?) "
                "ON CONFLICT (aggregate_key) DO UPDATE SET count = count + excluded.count")
            .bind(1, use.minute)
            .bind(2, use.company_id)
            .bind(3, use.username)
            .bind(4, use.token_id)
            .bind(5, use.method)
            .bind(6, use.client_address)
            .bind(7, use.user_agent)
            .bind(8, use.count)
            .bind(9, aggregate_key(use))
            .run();
    }

    for (const TokenLastUse& last_use : last_uses) {
        // A rotated token has a new id, so the old token's use updates nothing.
        connection
            ->prepare(
                "UPDATE access_tokens SET last_used_at = ?, last_used_address = ? "
                "WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)")
            .bind(1, last_use.used_at)
            .bind(2, last_use.client_address)
            .bind(3, last_use.token_id)
            .bind(4, last_use.used_at)
            .run();
    }

    transaction.commit();
}

std::int64_t SqliteAuditStore::delete_audit_events_before(const std::string& cutoff) {
    auto connection = pool_.lease();
    connection->prepare("DELETE FROM audit_events WHERE occurred_at < ?").bind(1, cutoff).run();
    return connection->changes();
}

std::vector<AuditEvent> SqliteAuditStore::list_audit_events(const AuditQuery& query) {
    auto connection = pool_.lease();
    // A NULL filter parameter matches every row, so one cached statement
    // serves every combination of filters.
    auto statement = connection->prepare(
        "SELECT a.occurred_at, a.event, a.company_id, coalesce(c.name, ''), a.username, a.token_id, a.method, "
        "a.outcome, a.reason, a.client_address, a.user_agent, a.count "
        "FROM audit_events a LEFT JOIN companies c ON c.id = a.company_id "
        "WHERE (?1 IS NULL OR a.company_id = ?1) AND (?2 IS NULL OR a.occurred_at >= ?2) "
        "ORDER BY a.occurred_at, a.id");
    bind_optional(statement, 1, query.company_id);
    if (query.since) {
        statement.bind(2, *query.since);
    } else {
        statement.bind_null(2);
    }

    std::vector<AuditEvent> events;
    while (statement.step()) {
        AuditEvent event;
        event.occurred_at = statement.text_at(0);
        event.event = statement.text_at(1);
        if (!statement.is_null(2)) event.company_id = statement.int64_at(2);
        event.company = statement.text_at(3);
        event.username = statement.text_at(4);
        if (!statement.is_null(5)) event.token_id = statement.int64_at(5);
        event.method = statement.text_at(6);
        event.outcome = statement.text_at(7);
        event.reason = statement.text_at(8);
        event.client_address = statement.text_at(9);
        event.user_agent = statement.text_at(10);
        event.count = statement.int64_at(11);
        events.push_back(std::move(event));
    }
    return events;
}

}  // namespace openbar::store::sqlite
