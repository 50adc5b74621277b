#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "auth/principal.hpp"
#include "http/message.hpp"
#include "http/request_target.hpp"
#include "store/store.hpp"

namespace openbar::http {

struct Route;

// Everything openbar has learned about one request while it moves through the
// pipeline: filled step by step from the header to the handler.
struct Exchange {
    Exchange(Request& request_in, std::string client_address_in)
        : request(request_in), client_address(std::move(client_address_in)) {}

    Request& request;
    std::string client_address;
    bool secure = false;  // came over TLS, or over HTTPS per a trusted proxy

    RequestTarget target;          // request target: path and query
    std::string path;              // percent-decoded path
    std::optional<store::Company> company;
    const Route* route = nullptr;
    std::map<std::string, std::string> path_params;
    std::optional<auth::Principal> principal;
    // Where Pipeline::admit() continues once authentication has decided.
    std::function<void(std::optional<Response>)> admitted;
};

}  // namespace openbar::http
