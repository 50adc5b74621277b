#include "api/records/record_schema.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <map>
#include <span>
#include <unordered_map>

#include "util/text.hpp"

namespace openbar::api::records {
namespace {

using store::RecordType;
using store::RecordWrite;

struct KnownField {
    std::string_view name;
    FieldKind kind;
};

// The fields whose values openbar checks and normalizes. Everything else is stored as sent.
constexpr KnownField customer_fields[] = {
    {"external_id", FieldKind::identifier}, {"email", FieldKind::text},
    {"phone_number", FieldKind::text},      {"first_name", FieldKind::text},
    {"last_name", FieldKind::text},         {"company", FieldKind::text},
    {"street_address", FieldKind::text},    {"zip_code", FieldKind::text},
    {"city", FieldKind::text},              {"state", FieldKind::text},
    {"country", FieldKind::text},           {"language", FieldKind::text},
    {"gender", FieldKind::text},            {"birth_date", FieldKind::timestamp},
    {"date_joined", FieldKind::timestamp},  {"last_login", FieldKind::timestamp},
    {"can_email", FieldKind::boolean},      {"can_sms", FieldKind::boolean},
    {"can_post", FieldKind::boolean},       {"can_profile", FieldKind::boolean},
    {"mailing_lists", FieldKind::list},     {"tags", FieldKind::list},
};

constexpr KnownField product_fields[] = {
    {"external_id", FieldKind::identifier}, {"title", FieldKind::text},
    {"description", FieldKind::text},       {"brand", FieldKind::text},
    {"type", FieldKind::text},              {"vendor", FieldKind::text},
    {"url", FieldKind::text},               {"image", FieldKind::text},
    {"language", FieldKind::text},          {"ean", FieldKind::text},
    {"price", FieldKind::money},            {"sale_price", FieldKind::money},
    {"minimal_price", FieldKind::money},    {"category", FieldKind::list},
    {"category_id", FieldKind::list},       {"tags", FieldKind::list},
    {"date", FieldKind::timestamp},         {"visible", FieldKind::boolean},
    {"in_stock", FieldKind::boolean},       {"stock", FieldKind::number},
    {"weight", FieldKind::number},
};

constexpr KnownField sale_fields[] = {
    {"sale_external_id", FieldKind::identifier}, {"sale_date", FieldKind::timestamp},
    {"sale_customer_id", FieldKind::identifier}, {"sale_email", FieldKind::text},
    {"sale_phone_number", FieldKind::text},      {"sale_shop_id", FieldKind::identifier},
    {"sale_total", FieldKind::money},            {"sale_discount", FieldKind::money},
    {"sale_shipping", FieldKind::money},         {"sale_currency", FieldKind::text},
    {"sale_payment_method", FieldKind::text},    {"sale_state", FieldKind::text},
    {"external_id", FieldKind::identifier},      {"product_id", FieldKind::identifier},
    {"quantity", FieldKind::number},             {"unit_price", FieldKind::money},
    {"discount", FieldKind::money},              {"total", FieldKind::money},
};

constexpr KnownField event_fields[] = {
    {"type", FieldKind::text},           {"date", FieldKind::timestamp},
    {"customer_id", FieldKind::identifier}, {"email", FieldKind::text},
    {"phone_number", FieldKind::text},   {"product_id", FieldKind::identifier},
    {"url", FieldKind::text},
};

constexpr KnownField shop_fields[] = {
    {"external_id", FieldKind::identifier}, {"name", FieldKind::text},
    {"shop_type", FieldKind::text},         {"street_address", FieldKind::text},
    {"zip_code", FieldKind::text},          {"city", FieldKind::text},
    {"country", FieldKind::text},           {"phone_number", FieldKind::text},
    {"email", FieldKind::text},
};

std::span<const KnownField> known_fields(RecordType type) {
    switch (type) {
        case RecordType::customers: return customer_fields;
        case RecordType::products: return product_fields;
        case RecordType::sales: return sale_fields;
        case RecordType::events: return event_fields;
        case RecordType::shops: return shop_fields;
    }
    return {};
}

constexpr std::string_view list_addition_suffix = ".add";
constexpr std::string_view magento_items_field = "magento__items";
// A sale line's key is the sale's identifier, this separator and the line's
// identifier. Identifiers never contain control characters, so the
// separator cannot be part of either.
constexpr char sale_key_separator = '\x1f';

class RecordNormalizer {
public:
    RecordNormalizer(RecordType type, FieldErrors& errors, boost::json::storage_ptr storage)
        : type_(type), errors_(errors), storage_(std::move(storage)) {}

    // Converts one uploaded object. Errors name its fields with `field_prefix`
    // in front, which locates a field inside magento__items.
    // Values stored as sent are moved out of `record`, which costs nothing
    // when it allocates from the same storage as the writes.
    std::optional<RecordWrite> normalize(boost::json::object& record, std::size_t index,
                                         const std::string& field_prefix) {
        if (only_sets_fields(record)) return normalize_in_place(record, index, field_prefix);

        // Constructed in place: boost::json's move assignment would keep the
        // default storage of a default-constructed `set` and copy every
        // value into it with malloc.
        RecordWrite write{.key = {}, .group = {}, .set = boost::json::object(storage_), .remove = {}, .list_additions = {}};
        write.set.reserve(record.size());
        std::size_t errors_before = errors_.size();
        // A boost::json::object contains each key once, so each name reaches
        // write.set at most once and emplace never meets an existing one.
        for (auto& [key, value] : record) {
            std::string_view name = key;
            if (type_ == RecordType::sales && name == magento_items_field) continue;

            if (name.ends_with(list_addition_suffix)) {
                std::string list_field(name.substr(0, name.size() - list_addition_suffix.size()));
                if (field_kind(type_, list_field) == FieldKind::list) {
                    boost::json::value items;
                    if (auto reason = normalize_value(FieldKind::list, value, items)) {
                        add_error(index, field_prefix + std::string(name), *reason);
                    } else {
                        write.list_additions.emplace_back(list_field, std::move(items.get_array()));
                    }
                    continue;
                }
            }

            if (value.is_null() || (value.is_string() && value.get_string().empty())) {
                write.remove.emplace_back(name);
                continue;
            }
            auto kind = field_kind(type_, name);
            if (!kind) {
                write.set.emplace(name, std::move(value));
                continue;
            }
            // A string is already the stored form of a text field.
            if (*kind == FieldKind::text && value.is_string()) {
                write.set.emplace(name, std::move(value));
                continue;
            }
            boost::json::value normalized(storage_);
            if (auto reason = normalize_value(*kind, value, normalized)) {
                add_error(index, field_prefix + std::string(name), *reason);
                continue;
            }
            write.set.emplace(name, std::move(normalized));
        }
        if (errors_.size() != errors_before) return std::nullopt;
        if (!assign_identity(write, index, field_prefix)) return std::nullopt;
        return write;
    }

private:
    // Whether every field of `record` is set to a value: no null or "" that
    // removes a field, no FIELD.add and no magento__items to expand.
    bool only_sets_fields(const boost::json::object& record) const {
        for (const auto& [key, value] : record) {
            std::string_view name = key;
            if (value.is_null() || (value.is_string() && value.get_string().empty())) return false;
            if (name.ends_with(list_addition_suffix)) return false;
            if (type_ == RecordType::sales && name == magento_items_field) return false;
        }
        return true;
    }

    // Normalizes the values of a record that only sets fields where they
    // are, keeping the field order, and moves the record into the write.
    // This gives the same write as the general path without copying a field.
    std::optional<RecordWrite> normalize_in_place(boost::json::object& record, std::size_t index,
                                                  const std::string& field_prefix) {
        std::size_t errors_before = errors_.size();
        for (auto& [key, value] : record) {
            std::string_view name = key;
            auto kind = field_kind(type_, name);
            if (!kind || (*kind == FieldKind::text && value.is_string())) continue;
            boost::json::value normalized(storage_);
            if (auto reason = normalize_value(*kind, value, normalized)) {
                add_error(index, field_prefix + std::string(name), *reason);
                continue;
            }
            value = std::move(normalized);
        }
        if (errors_.size() != errors_before) return std::nullopt;
        RecordWrite write{.key = {}, .group = {}, .set = std::move(record), .remove = {}, .list_additions = {}};
        if (!assign_identity(write, index, field_prefix)) return std::nullopt;
        return write;
    }

    static std::string_view text_of(const RecordWrite& write, std::string_view field) {
        const auto* value = write.set.if_contains(field);
        return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
    }

    // Returns `prefix` followed by `text`, in one allocation.
    static std::string joined(std::string_view prefix, std::string_view text) {
        std::string result;
        result.reserve(prefix.size() + text.size());
        result.append(prefix).append(text);
        return result;
    }

    bool require_one_of(const RecordWrite& write, std::size_t index, const std::string& field_prefix,
                        std::initializer_list<std::string_view> fields) {
        for (std::string_view field : fields) {
            if (!text_of(write, field).empty()) return true;
        }
        std::string names;
        for (std::string_view field : fields) {
            if (!names.empty()) names += ", ";
            names += field;
        }
        add_error(index, field_prefix + std::string(*fields.begin()),
                  fields.size() == 1 ? "is required" : "is required, or one of " + names);
        return false;
    }

    bool assign_identity(RecordWrite& write, std::size_t index, const std::string& field_prefix) {
        switch (type_) {
            case RecordType::customers: {
                if (!require_one_of(write, index, field_prefix, {"external_id", "email", "phone_number"})) return false;
                // The prefix keeps an external_id from matching an email or
                // phone number with the same text.
                // NOTE: the identity is chosen per upload and never linked, so a
                // customer first sent with only an email and later with an
                // external_id and the same email is stored as two records.
                if (auto id = text_of(write, "external_id"); !id.empty()) {
                    write.key = joined("external_id:", id);
                } else if (auto email = text_of(write, "email"); !email.empty()) {
                    write.key = joined("email:", util::to_lower_ascii(email));
                } else {
                    write.key = joined("phone_number:", text_of(write, "phone_number"));
                }
                return true;
            }
            case RecordType::products:
            case RecordType::shops:
                if (!require_one_of(write, index, field_prefix, {"external_id"})) return false;
                write.key = std::string(text_of(write, "external_id"));
                return true;
            case RecordType::sales: {
                bool valid = require_one_of(write, index, field_prefix, {"sale_external_id"});
                valid = require_one_of(write, index, field_prefix, {"sale_date"}) && valid;
                valid = require_one_of(write, index, field_prefix,
                                       {"sale_customer_id", "sale_email", "sale_phone_number"}) &&
                        valid;
                valid = require_one_of(write, index, field_prefix, {"external_id", "product_id"}) && valid;
                if (!valid) return false;
                write.group = std::string(text_of(write, "sale_external_id"));
                std::string line(text_of(write, "external_id"));
                if (line.empty()) line = joined("product_id:", text_of(write, "product_id"));
                write.key = write.group + sale_key_separator + line;
                return true;
            }
            case RecordType::events: {
                bool valid = require_one_of(write, index, field_prefix, {"type"});
                valid = require_one_of(write, index, field_prefix, {"date"}) && valid;
                valid = require_one_of(write, index, field_prefix, {"customer_id", "email", "phone_number"}) && valid;
                return valid;
            }
        }
        return false;
    }

    void add_error(std::size_t index, std::string field, std::string reason) {
        errors_.push_back(FieldError{index, std::move(field), std::move(reason)});
    }

    RecordType type_;
    FieldErrors& errors_;
    boost::json::storage_ptr storage_;
};

// Gives every line of a sale the same sale-level changes: the fields starting
// with "sale_" that any of its rows in this upload set or removed, the last row winning.
void share_sale_fields(std::vector<RecordWrite>& writes) {
    struct SaleChanges {
        std::map<std::string, boost::json::value> set;
        std::map<std::string, bool> removed;
    };
    std::unordered_map<std::string, SaleChanges> sales;
    for (const RecordWrite& write : writes) {
        SaleChanges& changes = sales[write.group];
        for (const auto& [name, value] : write.set) {
            if (!name.starts_with(store::group_field_prefix)) continue;
            changes.set[std::string(name)] = value;
            changes.removed.erase(std::string(name));
        }
        for (const std::string& name : write.remove) {
            if (!name.starts_with(store::group_field_prefix)) continue;
            changes.removed[name] = true;
            changes.set.erase(name);
        }
    }
    for (RecordWrite& write : writes) {
        const SaleChanges& changes = sales[write.group];
        for (const auto& [name, value] : changes.set) write.set[name] = value;
        std::erase_if(write.remove, [](const std::string& name) { return name.starts_with(store::group_field_prefix); });
        for (const auto& [name, removed] : changes.removed) write.remove.push_back(name);
    }
}

}  // namespace

std::optional<FieldKind> field_kind(RecordType type, std::string_view field) {
    // Every field of every uploaded record is looked up here. The known
    // fields are grouped by name length, so a lookup compares only the
    // names of the field's own length.
    constexpr std::size_t longest = 32;
    // Indexed by the RecordType's value, which runs from 1 to 5.
    constexpr std::size_t type_slots = static_cast<std::size_t>(RecordType::shops) + 1;
    using ByLength = std::array<std::vector<KnownField>, longest + 1>;
    static const std::array<ByLength, type_slots> tables = [] {
        std::array<ByLength, type_slots> built{};
        for (std::size_t t = 1; t < type_slots; ++t) {
            for (const KnownField& known : known_fields(static_cast<RecordType>(t))) {
                built[t].at(known.name.size()).push_back(known);
            }
        }
        return built;
    }();
    auto slot = static_cast<std::size_t>(type);
    if (slot >= type_slots || field.size() > longest) return std::nullopt;
    for (const KnownField& known : tables[slot][field.size()]) {
        if (std::memcmp(known.name.data(), field.data(), field.size()) == 0) return known.kind;
    }
    return std::nullopt;
}

std::vector<std::string_view> identity_fields(RecordType type) {
    switch (type) {
        case RecordType::customers: return {"external_id", "email", "phone_number"};
        case RecordType::products:
        case RecordType::shops: return {"external_id"};
        case RecordType::sales: return {"sale_external_id", "external_id"};
        case RecordType::events: return {"type", "date"};
    }
    return {};
}

std::vector<RecordWrite> normalize_records(RecordType type, boost::json::array& records,
                                           FieldErrors& errors, boost::json::storage_ptr storage) {
    RecordNormalizer normalizer(type, errors, storage);
    std::vector<RecordWrite> writes;
    writes.reserve(records.size());

    for (std::size_t index = 0; index < records.size(); ++index) {
        boost::json::object* record = records[index].if_object();
        if (!record) {
            errors.push_back(FieldError{index, "", "must be a JSON object"});
            continue;
        }

        const boost::json::value* items = type == RecordType::sales ? record->if_contains(magento_items_field)
                                                                    : nullptr;
        if (!items) {
            if (auto write = normalizer.normalize(*record, index, "")) writes.push_back(std::move(*write));
            continue;
        }

        // Each item becomes a line row: the row's fields with the item's over them.
        if (!items->is_array()) {
            errors.push_back(FieldError{index, std::string(magento_items_field), "must be a list of objects"});
            continue;
        }
        const boost::json::array& item_list = items->get_array();
        for (std::size_t item_index = 0; item_index < item_list.size(); ++item_index) {
            std::string prefix = std::string(magento_items_field) + "[" + std::to_string(item_index) + "].";
            const boost::json::object* item = item_list[item_index].if_object();
            if (!item) {
                errors.push_back(FieldError{index, prefix.substr(0, prefix.size() - 1), "must be a JSON object"});
                continue;
            }
            boost::json::object line(*record, storage);
            line.stable_erase(magento_items_field);  // erase() would move the last field into its place
            for (const auto& [name, value] : *item) line[name] = value;
            if (auto write = normalizer.normalize(line, index, prefix)) writes.push_back(std::move(*write));
        }
    }

    if (type == RecordType::sales && errors.empty()) share_sale_fields(writes);
    return writes;
}

std::string normalize_filter_value(RecordType type, std::string_view field, std::string_view value) {
    auto kind = field_kind(type, field);
    if (!kind || *kind == FieldKind::list) return std::string(value);
    boost::json::value normalized;
    if (normalize_value(*kind, boost::json::string(value), normalized)) {
        // Not a valid value of the field, so it matches nothing stored; keep it as sent.
        return std::string(value);
    }
    return filter_text(normalized);
}

}  // namespace openbar::api::records
