#include "http/api_error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace openbar::http {

Status status_for(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::bad_request: return Status::bad_request;
        case ErrorKind::unauthorized: return Status::unauthorized;
        case ErrorKind::forbidden: return Status::forbidden;
        case ErrorKind::not_found: return Status::not_found;
        case ErrorKind::method_not_allowed: return Status::method_not_allowed;
        case ErrorKind::payload_too_large: return Status::payload_too_large;
        case ErrorKind::unsupported_media_type: return Status::unsupported_media_type;
        case ErrorKind::header_too_large: return Status::request_header_fields_too_large;
        case ErrorKind::too_many_requests: return Status::too_many_requests;
        case ErrorKind::internal: return Status::internal_server_error;
        case ErrorKind::not_implemented: return Status::not_implemented;
        case ErrorKind::unavailable: return Status::service_unavailable;
    }
    return Status::internal_server_error;
}

Response json_response(Status status, const boost::json::value& body) {
    Response response{status, 11};
    response.set(beast_http::field::content_type, "application/json");
    response.body() = boost::json::serialize(body);
    response.prepare_payload();
    return response;
}

Response error_response(const ApiError& error) {
    boost::json::object inner{{"code", error.code()}, {"reason", error.reason()}};
    for (const auto& [name, value] : error.details()) {
        inner[name] = value;
    }
    Response response = json_response(status_for(error.kind()), boost::json::object{{"error", std::move(inner)}});
    for (const auto& [name, value] : error.headers()) {
        response.insert(name, value);
    }
    return response;
}

}  // namespace openbar::http
