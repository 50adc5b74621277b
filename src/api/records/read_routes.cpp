#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <charconv>

#include "api/records/record_schema.hpp"
#include "api/services.hpp"
#include "http/api_error.hpp"

namespace openbar::api {
namespace {

using http::ApiError;
using http::ErrorKind;
using store::RecordType;

constexpr std::size_t default_read_limit = 100;
constexpr std::size_t max_field_name_length = 200;
constexpr std::string_view cursor_parameter = "cursor";

std::size_t parse_count(std::string_view text, std::string_view parameter, std::size_t max) {
    std::size_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 1 || value > max) {
        throw ApiError(ErrorKind::bad_request, "invalid_parameter",
                       std::string(parameter) + " must be an integer from 1 to " + std::to_string(max));
    }
    return value;
}

std::int64_t parse_cursor(std::string_view text) {
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || value < 0) {
        throw ApiError(ErrorKind::bad_request, "invalid_parameter",
                       "cursor is invalid; use the next_url of the previous page as it is");
    }
    return value;
}

void check_field_name(std::string_view name) {
    bool valid = !name.empty() && name.size() <= max_field_name_length &&
                 std::none_of(name.begin(), name.end(), [](char c) {
                     return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
                 });
    if (!valid) {
        throw ApiError(ErrorKind::bad_request, "invalid_parameter",
                       "'" + std::string(name.substr(0, 50)) + "' is not a valid field name");
    }
}

// The fields of a record that `fields=` selects, the identity fields always included.
std::string project(const std::string& record_text, const std::vector<std::string>& fields) {
    boost::json::parse_options options;
    options.max_depth = store::max_record_depth;
    boost::json::value record = boost::json::parse(record_text, {}, options);
    boost::json::object selected;
    for (const std::string& field : fields) {
        if (const auto* value = record.as_object().if_contains(field)) selected[field] = *value;
    }
    return boost::json::serialize(selected);
}

// The absolute URL of the next page: this request's URL with the cursor replaced.
std::string next_url(const http::Exchange& exchange, std::int64_t after) {
    boost::urls::url url(exchange.target);
    url.params().set(cursor_parameter, std::to_string(after));
    std::string host(exchange.request[http::beast_http::field::host]);
    return (exchange.secure ? "https://" : "http://") + host + std::string(url.encoded_resource());
}

// Serves one page of records. "count" is the number of records in this
// page: a total over all matching records would make every page cost as
// much as reading them all.
http::Response read_page(Services& services, http::Exchange& exchange) {
    auto type = store::record_type_from_name(exchange.path_params.at("type"));
    if (!type) {
        throw ApiError(ErrorKind::not_found, "not_found",
                       "no record type '" + exchange.path_params.at("type") +
                           "'; use customers, products, sales, events or shops");
    }

    store::RecordQuery query;
    query.type = *type;
    query.limit = default_read_limit;
    std::vector<std::string> fields;
    for (const auto& parameter : exchange.target.params()) {
        std::string_view name = parameter.key;
        std::string_view value = parameter.value;
        if (name.empty() && value.empty()) {
            continue;  // "?limit=10&" has an empty parameter after the "&"
        }
        if (name == "limit") {
            query.limit = parse_count(value, "limit", services.config.max_read_limit);
        } else if (name == cursor_parameter) {
            query.after = parse_cursor(value);
        } else if (name == "fields") {
            for (std::string_view rest = value; !rest.empty();) {
                std::size_t comma = rest.find(',');
                std::string_view field = rest.substr(0, comma);
                if (!field.empty()) {
                    check_field_name(field);
                    fields.emplace_back(field);
                }
                if (comma == std::string_view::npos) break;
                rest.remove_prefix(comma + 1);
            }
        } else {
            check_field_name(name);
            query.filters.push_back({std::string(name), records::normalize_filter_value(*type, name, value)});
        }
    }
    if (query.filters.size() > store::max_record_filters) {
        throw ApiError(ErrorKind::bad_request, "invalid_parameter",
                       "a read accepts at most " + std::to_string(store::max_record_filters) + " filters");
    }
    if (!fields.empty()) {
        for (std::string_view identity : records::identity_fields(*type)) {
            if (std::find(fields.begin(), fields.end(), identity) == fields.end()) fields.emplace_back(identity);
        }
    }

    store::RecordPage page = services.store.records().read_records(exchange.company->id, query);

    // Stored records are already JSON text, so the body is assembled
    // without parsing them again unless fields are selected.
    std::string_view type_name = store::record_type_name(*type);
    std::string body;
    std::size_t estimate = 64;
    for (const std::string& record : page.records) estimate += record.size() + 1;
    body.reserve(estimate);
    body += "{\"";
    body += type_name;
    body += "\":[";
    for (std::size_t i = 0; i < page.records.size(); ++i) {
        if (i > 0) body += ',';
        body += fields.empty() ? page.records[i] : project(page.records[i], fields);
    }
    body += "],\"count\":";
    body += std::to_string(page.records.size());
    if (page.next_after) {
        body += ",\"next_url\":";
        body += boost::json::serialize(boost::json::string(next_url(exchange, *page.next_after)));
    }
    body += '}';

    http::Response response{http::Status::ok, 11};
    response.set(http::beast_http::field::content_type, "application/json");
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

}  // namespace

void register_read_routes(http::Router& router, Services& services) {
    router.add("/api/data/{type}", http::Access::tenant_api, http::beast_http::verb::get,
               [&services](http::Exchange& exchange) { return read_page(services, exchange); });
}

}  // namespace openbar::api
