#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace openbar::store {

// One record of an upload: the identity key and the fields to merge into
// what is stored. A field whose value is an empty string is removed.
struct RecordWrite {
    std::string key;
    boost::json::object fields;
};

struct UpsertCounts {
    std::size_t created = 0;
    std::size_t updated = 0;
};

// Customer data records of every type, always scoped to one company.
class RecordStore {
public:
    virtual ~RecordStore() = default;

    // Merges every record into the stored one of the same type and key in one
    // transaction, committed durably before returning.
    virtual UpsertCounts upsert_records(std::int64_t company_id, std::string_view type,
                                        const std::vector<RecordWrite>& records) = 0;
    virtual std::optional<boost::json::object> find_record(std::int64_t company_id, std::string_view type,
                                                           std::string_view key) = 0;
};

}  // namespace openbar::store
