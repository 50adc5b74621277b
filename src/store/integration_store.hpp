#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/record_store.hpp"

namespace openbar::store {

// A named source of uploads (a shop's WooCommerce connector) that groups datasources.
struct Integration {
    std::int64_t id = 0;
    std::string name;
};

// One feed of one record type within an integration.
struct Datasource {
    std::int64_t id = 0;
    std::int64_t integration_id = 0;
    std::string name;
    RecordType type = RecordType::customers;
};

// Integrations and datasources, always scoped to one company.
class IntegrationStore {
public:
    virtual ~IntegrationStore() = default;

    virtual Integration create_integration(std::int64_t company_id, std::string_view name) = 0;
    // Throws StoreError(not_found) when the integration does not belong to the company.
    virtual Datasource create_datasource(std::int64_t company_id, std::int64_t integration_id,
                                         std::string_view name, RecordType type) = 0;
    virtual std::optional<Datasource> find_datasource(std::int64_t company_id, std::int64_t id) = 0;
};

}  // namespace openbar::store
