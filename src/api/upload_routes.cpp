#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "api/services.hpp"
#include "http/api_error.hpp"

namespace openbar::api {
namespace {

using http::ApiError;
using http::ErrorKind;

boost::json::value parse_body(const http::Exchange& exchange) {
    boost::system::error_code error;
    boost::json::value body = boost::json::parse(exchange.request.body(), error);
    if (error) {
        throw ApiError(ErrorKind::bad_request, "invalid_json", "the request body is not valid JSON: " + error.message());
    }
    return body;
}

// Accepts {"customers": [...]} or a bare list.
const boost::json::array& record_list(const boost::json::value& body, std::string_view type) {
    if (body.is_array()) return body.get_array();
    if (body.is_object()) {
        const auto* list = body.get_object().if_contains(type);
        if (list && list->is_array()) return list->get_array();
    }
    throw ApiError(ErrorKind::bad_request, "invalid_body",
                   "the body must be a JSON list or an object with a \"" + std::string(type) + "\" list");
}

std::string identity_of(const boost::json::value& value) {
    if (value.is_string()) return std::string(value.get_string());
    if (value.is_int64() || value.is_uint64()) return boost::json::serialize(value);
    return {};
}

}  // namespace

void register_upload_routes(http::Router& router, Services& services) {
    router.add("/api/customers/upload", http::Access::tenant_api, http::beast_http::verb::post,
               [&services](http::Exchange& exchange) {
                   const boost::json::value body = parse_body(exchange);
                   const boost::json::array& list = record_list(body, "customers");

                   std::vector<store::RecordWrite> writes;
                   writes.reserve(list.size());
                   for (std::size_t i = 0; i < list.size(); ++i) {
                       const auto* record = list[i].if_object();
                       const auto* id = record ? record->if_contains("external_id") : nullptr;
                       std::string key = id ? identity_of(*id) : std::string();
                       if (key.empty()) {
                           throw ApiError(ErrorKind::bad_request, "invalid_records",
                                          "record " + std::to_string(i) + " has no external_id");
                       }
                       writes.push_back({std::move(key), *record});
                   }

                   auto counts = services.store.records().upsert_records(exchange.company->id, "customers", writes);
                   return http::json_response(http::Status::ok, boost::json::object{{"response", "ok"},
                                                                                    {"created", counts.created},
                                                                                    {"updated", counts.updated}});
               });
}

}  // namespace openbar::api
