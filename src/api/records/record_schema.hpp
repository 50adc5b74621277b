#pragma once

#include <boost/json/array.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/records/field_values.hpp"
#include "store/record_store.hpp"

namespace openbar::api::records {

// One invalid field of one record in an upload.
struct FieldError {
    std::size_t index = 0;  // position in the uploaded list
    std::string field;
    std::string reason;
};

// The problems found in one upload: every one counted, the first `max_kept`
// kept in full, so the memory they take does not grow with the number of
// invalid records.
class FieldErrors {
public:
    static constexpr std::size_t max_kept = 100;

    void push_back(FieldError error) {
        ++count_;
        if (kept_.size() < max_kept) kept_.push_back(std::move(error));
    }
    // The number of problems, including those not kept.
    std::size_t size() const { return count_; }
    bool empty() const { return count_ == 0; }
    const std::vector<FieldError>& kept() const { return kept_; }
    // The index-th problem found; index must be below kept().size().
    const FieldError& operator[](std::size_t index) const { return kept_[index]; }

private:
    std::vector<FieldError> kept_;
    std::size_t count_ = 0;
};

// Returns the kind of a known field of `type`; nothing for a field that is
// stored exactly as sent (unknown fields and company-specific COMPANY__FIELD fields).
std::optional<FieldKind> field_kind(store::RecordType type, std::string_view field);

// The fields a read always returns, whatever `fields=` selects.
std::vector<std::string_view> identity_fields(store::RecordType type);

// Validates and normalizes the records of one upload into store writes.
// Adds one FieldError per problem to `errors`; the writes are only usable
// when no error was added. The rules per type:
// - customers are identified by external_id, else email (letter case
//   ignored), else phone_number, and need one of them;
// - products and shops are identified by external_id;
// - sales rows need sale_external_id, sale_date and one of sale_customer_id,
//   sale_email and sale_phone_number. A row is a line of the sale
//   identified by its external_id, else its product_id. A "magento__items"
//   list turns one row into one line per item, each item's fields over the
//   row's. Fields starting with "sale_" are shared by all lines of a sale;
// - events need type, date and one of customer_id, email and phone_number,
//   and are always appended.
// A field sent as "" or null is removed, and "FIELD.add" adds to the list
// field FIELD. The writes' values allocate from `storage`, and values stored
// as sent are moved out of `records`, so the caller must not read it afterwards.
std::vector<store::RecordWrite> normalize_records(store::RecordType type, boost::json::array& records,
                                                  FieldErrors& errors,
                                                  boost::json::storage_ptr storage = {});

// Converts a filter value from a query string to the text that the stored
// value of `field` renders as, so `can_email=1` finds records stored with true.
std::string normalize_filter_value(store::RecordType type, std::string_view field, std::string_view value);

}  // namespace openbar::api::records
