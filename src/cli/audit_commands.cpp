#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>

#include "audit/audit_time.hpp"
#include "cli/cli.hpp"
#include "cli/commands.hpp"

namespace openbar::cli {
namespace {

boost::json::object to_json(const store::AuditEvent& event) {
    boost::json::object object;
    object["time"] = event.occurred_at;
    object["event"] = event.event;
    object["outcome"] = event.outcome;
    object["reason"] = event.reason;
    object["company"] = event.company;
    object["username"] = event.username;
    object["token_id"] = event.token_id ? boost::json::value(*event.token_id) : boost::json::value(nullptr);
    object["method"] = event.method;
    object["client_address"] = event.client_address;
    object["user_agent"] = event.user_agent;
    object["count"] = event.count;
    return object;
}

// Replaces C0 and C1 control characters and DEL with '?', so a user agent
// sent by a client cannot move the cursor or reconfigure the operator's
// terminal. Stored text is UTF-8, where the C1 controls U+0080 to U+009F
// are the two bytes C2 80 to C2 9F.
std::string printable(std::string_view text) {
    if (text.empty()) return "-";
    std::string result;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto byte = static_cast<unsigned char>(text[i]);
        auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
        if (byte == 0xC2 && next >= 0x80 && next <= 0x9F) {
            result += '?';
            ++i;
        } else if (byte < 0x20 || byte == 0x7F) {
            result += '?';
        } else {
            result += text[i];
        }
    }
    return result;
}

void print_table(const std::vector<store::AuditEvent>& events) {
    constexpr std::size_t column_count = 11;
    using Row = std::array<std::string, column_count>;
    std::vector<Row> rows;
    rows.push_back({"TIME", "EVENT", "OUTCOME", "REASON", "COMPANY", "USER", "TOKEN", "METHOD", "ADDRESS", "COUNT",
                    "USER-AGENT"});
    for (const auto& event : events) {
        rows.push_back({event.occurred_at, event.event, event.outcome, printable(event.reason),
                        printable(event.company), printable(event.username),
                        event.token_id ? std::to_string(*event.token_id) : "-", printable(event.method),
                        printable(event.client_address), std::to_string(event.count), printable(event.user_agent)});
    }

    // The last column is not padded, so long user agents do not widen every line.
    std::array<std::size_t, column_count> widths{};
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < column_count; ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i + 1 < column_count; ++i) line += fmt::format("{:<{}}  ", row[i], widths[i]);
        line += row[column_count - 1];
        std::cout << line << "\n";
    }
}

void list_audit_events(const GlobalOptions& options, const std::string& company_name, const std::string& since,
                       bool json) {
    store::AuditQuery query;
    if (!since.empty()) {
        query.since = audit::parse_utc(since);
        if (!query.since) {
            throw CommandError("invalid --since '" + since +
                               "': use a UTC date or date-time such as 2026-12-04, 2026-12-04T20:00 or "
                               "2026-12-04T20:00:00Z");
        }
    }
    auto context = Context::open(options);
    if (!company_name.empty()) {
        query.company_id = require_company(*context.store, company_name).id;
    }

    auto events = context.store->audit().list_audit_events(query);
    if (json) {
        for (const auto& event : events) std::cout << boost::json::serialize(to_json(event)) << "\n";
    } else {
        print_table(events);
    }
}

}  // namespace

void add_audit_commands(CLI::App& app, const GlobalOptions& options) {
    struct Arguments {
        std::string company;
        std::string since;
        bool json = false;
    };
    auto arguments = std::make_shared<Arguments>();

    auto* audit = app.add_subcommand("audit", "Read the audit log of authentication decisions and credential changes");
    audit->require_subcommand(1);
    auto* list = audit->add_subcommand(
        "list",
        "Print audit rows, oldest first. Successful token requests appear as one row per token, minute, client "
        "address and user agent, with a count and the time the minute started. The server writes rows once per "
        "--audit-flush-interval-ms (default 1 s) and at shutdown");
    list->add_option("--company", arguments->company, "Only rows of this company");
    list->add_option("--since", arguments->since,
                     "Only rows at or after this UTC time: YYYY-MM-DD, YYYY-MM-DDTHH:MM or YYYY-MM-DDTHH:MM:SS, "
                     "optionally followed by Z");
    list->add_flag("--json", arguments->json, "Print one JSON object per line instead of a table");
    list->callback([&options, arguments] {
        list_audit_events(options, arguments->company, arguments->since, arguments->json);
    });
}

}  // namespace openbar::cli
