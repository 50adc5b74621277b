#include "store/record_store.hpp"

namespace openbar::store {
namespace {

struct RecordTypeName {
    RecordType type;
    std::string_view name;
};

constexpr RecordTypeName record_type_names[] = {
    {RecordType::customers, "customers"}, {RecordType::products, "products"}, {RecordType::sales, "sales"},
    {RecordType::events, "events"},       {RecordType::shops, "shops"},
};

}  // namespace

std::optional<RecordType> record_type_from_name(std::string_view name) {
    for (const auto& entry : record_type_names) {
        if (entry.name == name) return entry.type;
    }
    return std::nullopt;
}

std::string_view record_type_name(RecordType type) {
    for (const auto& entry : record_type_names) {
        if (entry.type == type) return entry.name;
    }
    return "unknown";
}

}  // namespace openbar::store
