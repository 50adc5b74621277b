#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace openbar::store {

// The kinds of customer data record. The numeric values are stored in the
// database and must never change.
enum class RecordType : std::int64_t {
    customers = 1,
    products = 2,
    sales = 3,
    events = 4,
    shops = 5,
};

// The max nesting of arrays and objects in a stored record. Uploads
// accept bodies up to --max-json-depth levels, whose highest value is this,
// so every parse of a stored record must accept at least as many.
inline constexpr std::size_t max_record_depth = 1000;

// The plural name used in URLs and bodies ("customers"); nothing for an unknown name.
std::optional<RecordType> record_type_from_name(std::string_view name);
std::string_view record_type_name(RecordType type);

// One record of an upload, already validated and normalized.
struct RecordWrite {
    // The identity of the stored record this merges into. Nothing appends a
    // new record (events).
    std::optional<std::string> key;

    // Records with the same non-empty group share every field whose name
    // starts with `group_field_prefix`: a change to one of them is copied to
    // the others (the sale-level fields of a sale's line rows).
    std::string group;

    boost::json::object set;                  // fields to add or replace
    std::vector<std::string> remove;          // fields to delete
    // Values to add to a stored list field, skipping those already present.
    std::vector<std::pair<std::string, boost::json::array>> list_additions;
};

// Fields shared by all records of a group.
inline constexpr std::string_view group_field_prefix = "sale_";

struct UpsertCounts {
    std::size_t created = 0;
    std::size_t updated = 0;
};

// The outcome of one upsert: the counts when it was committed, else the
// exception (usually StoreError) that rolled all of its records back.
struct UpsertResult {
    UpsertCounts counts;
    std::exception_ptr error;
};

// Receives the outcome of an asynchronous upsert, on the store's writer thread.
using UpsertDone = std::function<void(UpsertResult)>;

// One equality condition of a read: the field's value, rendered as text
// ("true"/"false" for booleans, decimal for numbers, the string itself for
// strings, JSON text for lists and objects), equals `value`.
struct FieldFilter {
    std::string field;
    std::string value;
};

// Filters that one read accepts.
inline constexpr std::size_t max_record_filters = 8;

struct RecordQuery {
    RecordType type = RecordType::customers;
    std::int64_t after = 0;  // cursor: the sequence number of the last record already read
    std::size_t limit = 100;
    std::vector<FieldFilter> filters;
};

struct RecordPage {
    std::vector<std::string> records;  // JSON object text, in sequence order
    // Cursor for the next page; nothing when this page is the last.
    std::optional<std::int64_t> next_after;
};

// Customer data records of every type. Every call is scoped to one company
// and never reads or writes another company's rows.
class RecordStore {
public:
    virtual ~RecordStore() = default;

    // Merges every record into the stored one of the same type and key, or
    // inserts it, all in one transaction that is durably committed before
    // this returns. Throws StoreError and stores nothing on failure.
    virtual UpsertCounts upsert_records(std::int64_t company_id, RecordType type,
                                        const std::vector<RecordWrite>& records) = 0;

    // The same merge without blocking the caller: `done` runs once, on
    // another thread, after the records are durably committed or after they
    // were all rolled back. The store may commit several callers' batches in
    // one transaction. A batch that fails is rolled back alone, unless the
    // shared transaction itself fails (an I/O error), which fails them all. The
    // store keeps `records` (and whatever memory its owner ties to it) alive
    // until `done` has run.
    virtual void upsert_records_async(std::int64_t company_id, RecordType type,
                                      std::shared_ptr<const std::vector<RecordWrite>> records, UpsertDone done) = 0;

    // Sets how many records the store may commit in one transaction when
    // several batches wait; a batch larger than that still commits alone.
    virtual void set_max_group_records(std::size_t records) = 0;

    // Sets the WAL size in pages after which the store copies its WAL into
    // the database file in the background. A store without a WAL ignores it.
    virtual void set_wal_checkpoint_pages(std::size_t pages) = 0;

    // Blocks until every batch queued before this call has been committed
    // or rolled back and its `done` has run.
    virtual void wait_for_writes() = 0;

    // Returns records in insertion order after `query.after`. Each record
    // keeps the sequence number of its first insertion, so pages neither skip
    // nor repeat records while others are inserted or updated.
    virtual RecordPage read_records(std::int64_t company_id, const RecordQuery& query) = 0;
};

}  // namespace openbar::store
