#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <map>
#include <memory>

#include "api/json_body.hpp"
#include "api/records/record_schema.hpp"
#include "api/services.hpp"
#include "http/api_error.hpp"
#include "http/pipeline.hpp"

namespace openbar::api {
namespace {

using http::ApiError;
using http::ErrorKind;
using store::RecordType;

constexpr std::size_t max_name_length = 200;

// Returns the record list of an upload: {"customers": [...]} or a bare list.
boost::json::array& record_list(boost::json::value& body, RecordType type) {
    std::string_view name = store::record_type_name(type);
    if (body.is_array()) return body.get_array();
    if (auto* object = body.if_object()) {
        auto* list = object->if_contains(name);
        if (list && list->is_array()) return list->get_array();
    }
    throw ApiError(ErrorKind::bad_request, "invalid_body",
                   "the body must be a JSON list or an object with a \"" + std::string(name) + "\" list");
}

// The lines of a sales upload may take at most this many times
// --max-body-bytes. Each item of a sale's "magento__items" list becomes a
// line carrying a copy of every field of its row, and every line of a sale
// gets the sale_ fields of all the sale's rows in the upload. Without a
// bound a body of 124 KB could expand to 100 MB of rows, held in memory and
// written.
// NOTE: 4 is a guess, and it has no flag of its own. It admits sales whose
// fields take up to about 3 times the bytes of their items' fields.
constexpr std::size_t max_sales_expansion = 4;

// Rejects a sales upload whose line rows, once magento__items is expanded
// and sale_ fields are shared, would take more than max_sales_expansion
// times the body limit. The estimate of a line is its row without the
// items list, its item, and the largest value of each sale_ field that
// the sale's rows send.
void check_sales_expansion(const boost::json::array& list, std::size_t max_body_bytes) {
    const std::size_t max_bytes = max_body_bytes * max_sales_expansion;
    struct Sale {
        std::size_t lines = 0;
        std::map<std::string_view, std::size_t> shared_field_bytes;
    };
    std::map<std::string, Sale> sales;  // by the sale_external_id as JSON text
    std::size_t total_bytes = 0;
    auto add = [&](std::size_t bytes, std::size_t count) {
        // Compared before multiplying and adding, so nothing overflows.
        if (count != 0 && bytes > (max_bytes - total_bytes) / count) {
            throw ApiError(ErrorKind::payload_too_large, "upload_too_large",
                           "the sales lines of this upload would exceed " + std::to_string(max_bytes) +
                               " bytes (" + std::to_string(max_sales_expansion) +
                               " times the body limit) once magento__items is expanded and sale_ fields are "
                               "copied to every line of their sale; send fewer lines per upload or smaller fields");
        }
        total_bytes += bytes * count;
    };

    for (const boost::json::value& record : list) {
        const auto* object = record.if_object();
        if (!object) continue;
        const auto* items = object->if_contains("magento__items");
        std::size_t items_bytes = 0;
        std::size_t lines = 1;
        if (items && items->is_array()) {
            items_bytes = boost::json::serialize(*items).size();
            lines = items->get_array().size();
        }
        add(boost::json::serialize(*object).size() - items_bytes, lines);
        add(items_bytes, 1);

        const auto* sale_id = object->if_contains("sale_external_id");
        Sale& sale = sales[sale_id ? boost::json::serialize(*sale_id) : std::string()];
        sale.lines += lines;
        for (const auto& [name, value] : *object) {
            if (!name.starts_with(store::group_field_prefix)) continue;
            std::size_t& bytes = sale.shared_field_bytes[name];
            bytes = std::max(bytes, name.size() + boost::json::serialize(value).size());
        }
    }
    for (const auto& [id, sale] : sales) {
        for (const auto& [name, bytes] : sale.shared_field_bytes) add(bytes, sale.lines);
    }
}

boost::json::value parse_json_request(const Services& services, const http::Exchange& exchange,
                                      boost::json::storage_ptr storage = {}) {
    require_json_content_type(exchange.request);
    return parse_json_body(exchange.request.body(), services.config.max_json_depth, std::move(storage));
}

// The writes of one upload and the arena their values allocate from. The
// store keeps both alive until it has committed the writes, after the
// handler has returned.
struct UploadBatch {
    explicit UploadBatch(std::size_t first_block) : arena(first_block) {}

    boost::json::monotonic_resource arena;
    std::vector<store::RecordWrite> writes;
};

http::Response upload_reply(const store::UpsertCounts& counts) {
    // Custobar clients expect 200, not 201, even when records were created.
    return http::json_response(http::Status::ok, boost::json::object{{"response", "ok"},
                                                                      {"created", counts.created},
                                                                      {"updated", counts.updated}});
}

// Parses and validates the upload on the network thread, then queues the
// writes for the store's writer thread and returns. `respond` runs once the
// writes are committed or rolled back, so the network thread never waits
// for the disk.
void upload(Services& services, http::Exchange& exchange, RecordType type, http::Respond respond) {
    // The body and the writes made from it live only for this request, so
    // they allocate from one arena that is freed at once, instead of
    // calling malloc and free for every string.
    constexpr std::size_t max_first_arena_block = 4 * 1024 * 1024;
    auto batch = std::make_shared<UploadBatch>(
        std::min(exchange.request.body().size() * 2 + 1024, max_first_arena_block));
    boost::json::storage_ptr storage(&batch->arena);
    {
        boost::json::value body = parse_json_request(services, exchange, storage);
        boost::json::array& list = record_list(body, type);
        if (type == RecordType::sales) check_sales_expansion(list, services.config.max_body_bytes);

        // An invalid upload lists the first FieldErrors::max_kept problems,
        // which bounds the reply size.
        records::FieldErrors errors;
        batch->writes = records::normalize_records(type, list, errors, storage);
        if (!errors.empty()) {
            boost::json::array details;
            for (const records::FieldError& error : errors.kept()) {
                details.push_back(
                    boost::json::object{{"index", error.index}, {"field", error.field}, {"reason", error.reason}});
            }
            const records::FieldError& first = errors[0];
            std::string where = first.field.empty() ? "" : " field " + first.field;
            throw ApiError(ErrorKind::bad_request, "invalid_records",
                           std::to_string(errors.size()) +
                               " problems in the records, nothing was stored; first: record " +
                               std::to_string(first.index) + where + " " + first.reason)
                .with_details("records", std::move(details));
        }
    }

    if (batch->writes.empty()) {
        respond(upload_reply({}));
        return;
    }
    // The writes share the batch's lifetime, so the arena outlives them.
    std::shared_ptr<const std::vector<store::RecordWrite>> writes(batch, &batch->writes);
    services.store.records().upsert_records_async(
        exchange.company->id, type, std::move(writes),
        [&exchange, respond = std::move(respond)](store::UpsertResult result) {
            // The session keeps `exchange` until `respond` has run.
            if (result.error) {
                respond(http::response_for_exception(exchange, result.error));
                return;
            }
            respond(upload_reply(result.counts));
        });
}

std::string required_name(const boost::json::object& body, std::string_view field) {
    const auto* value = body.if_contains(field);
    if (!value || !value->is_string() || value->get_string().empty()) {
        throw ApiError(ErrorKind::bad_request, "invalid_body", "\"" + std::string(field) + "\" must be a non-empty string");
    }
    if (value->get_string().size() > max_name_length) {
        throw ApiError(ErrorKind::bad_request, "invalid_body",
                       "\"" + std::string(field) + "\" must be at most " + std::to_string(max_name_length) +
                           " bytes");
    }
    return std::string(value->get_string());
}

// Accepts an id of at most 18 decimal digits, so it always fits an int64.
std::optional<std::int64_t> parse_id(std::string_view text) {
    if (text.empty() || text.size() > 18 || !std::all_of(text.begin(), text.end(), [](char c) {
            return c >= '0' && c <= '9';
        })) {
        return std::nullopt;
    }
    std::int64_t id = std::stoll(std::string(text));
    return id > 0 ? std::optional(id) : std::nullopt;
}

// Accepts an id as a JSON integer or a string of digits.
std::optional<std::int64_t> parse_id(const boost::json::value& value) {
    if (value.is_int64() && value.get_int64() > 0) return value.get_int64();
    if (value.is_string()) return parse_id(std::string_view(value.get_string()));
    return std::nullopt;
}

const boost::json::object& object_body(const boost::json::value& body) {
    if (!body.is_object()) throw ApiError(ErrorKind::bad_request, "invalid_body", "the body must be a JSON object");
    return body.get_object();
}

http::Response create_integration(Services& services, http::Exchange& exchange) {
    const boost::json::value body = parse_json_request(services, exchange);
    std::string name = required_name(object_body(body), "name");
    store::Integration integration = services.store.integrations().create_integration(exchange.company->id, name);
    return http::json_response(http::Status::ok,
                               boost::json::object{{"integration", {{"id", integration.id}, {"name", integration.name}}}});
}

// Accepts the plural type name and its singular ("customer").
std::optional<RecordType> datatype_from_name(std::string_view name) {
    if (auto type = store::record_type_from_name(name)) return type;
    return store::record_type_from_name(std::string(name) + "s");
}

http::Response create_datasource(Services& services, http::Exchange& exchange) {
    const boost::json::value body = parse_json_request(services, exchange);
    const boost::json::object& fields = object_body(body);
    std::string name = required_name(fields, "name");

    const auto* integration = fields.if_contains("integration");
    auto integration_id = integration ? parse_id(*integration) : std::nullopt;
    if (!integration_id) {
        throw ApiError(ErrorKind::bad_request, "invalid_body", "\"integration\" must be the id of an integration");
    }
    const auto* datatype = fields.if_contains("datatype");
    auto type = datatype && datatype->is_string() ? datatype_from_name(datatype->get_string()) : std::nullopt;
    if (!type) {
        throw ApiError(ErrorKind::bad_request, "invalid_body",
                       "\"datatype\" must be one of customers, products, sales, events and shops");
    }

    store::Datasource datasource;
    try {
        datasource = services.store.integrations().create_datasource(exchange.company->id, *integration_id, name, *type);
    } catch (const store::StoreError& error) {
        if (error.kind() != store::StoreError::Kind::not_found) throw;
        throw ApiError(ErrorKind::bad_request, "invalid_body",
                       "integration " + std::to_string(*integration_id) + " does not exist");
    }
    return http::json_response(
        http::Status::ok,
        boost::json::object{{"datasource",
                             {{"id", datasource.id},
                              {"name", datasource.name},
                              {"integration", datasource.integration_id},
                              {"datatype", store::record_type_name(datasource.type)}}}});
}

void import_to_datasource(Services& services, http::Exchange& exchange, http::Respond respond) {
    auto id = parse_id(std::string_view(exchange.path_params.at("id")));
    auto datasource = id ? services.store.integrations().find_datasource(exchange.company->id, *id) : std::nullopt;
    if (!datasource) {
        throw ApiError(ErrorKind::not_found, "not_found", "no datasource with id " + exchange.path_params.at("id"));
    }
    upload(services, exchange, datasource->type, std::move(respond));
}

}  // namespace

void register_upload_routes(http::Router& router, Services& services) {
    using http::Access;
    constexpr auto post = http::beast_http::verb::post;

    for (RecordType type : {RecordType::customers, RecordType::products, RecordType::sales, RecordType::events,
                            RecordType::shops}) {
        std::string path = "/api/" + std::string(store::record_type_name(type)) + "/upload";
        router.add_async(path, Access::tenant_api, post, [&services, type](http::Exchange& exchange, http::Respond respond) {
            upload(services, exchange, type, std::move(respond));
        });
    }
    router.add_async("/api/events", Access::tenant_api, post,
                     [&services](http::Exchange& exchange, http::Respond respond) {
                         upload(services, exchange, RecordType::events, std::move(respond));
                     });

    router.add("/api/integrations", Access::tenant_api, post,
               [&services](http::Exchange& exchange) { return create_integration(services, exchange); });
    router.add("/api/datasources", Access::tenant_api, post,
               [&services](http::Exchange& exchange) { return create_datasource(services, exchange); });
    router.add_async("/api/datasources/{id}/import", Access::tenant_api, post,
                     [&services](http::Exchange& exchange, http::Respond respond) {
                         import_to_datasource(services, exchange, std::move(respond));
                     });
}

}  // namespace openbar::api
