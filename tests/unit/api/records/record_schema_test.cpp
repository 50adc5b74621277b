#include "api/records/record_schema.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace openbar::api::records {
namespace {

using store::RecordType;

std::vector<store::RecordWrite> normalize(RecordType type, std::string_view json, FieldErrors& errors) {
    boost::json::value records = boost::json::parse(json);
    return normalize_records(type, records.as_array(), errors);
}

// Lookups go through a table grouped by name length. Other names of the
// same length must not match, nor other types' fields or very long names.
TEST(RecordSchema, FieldKindsByType) {
    EXPECT_EQ(field_kind(RecordType::customers, "date_joined"), FieldKind::timestamp);
    EXPECT_EQ(field_kind(RecordType::customers, "external_id"), FieldKind::identifier);
    EXPECT_EQ(field_kind(RecordType::customers, "can_email"), FieldKind::boolean);
    EXPECT_EQ(field_kind(RecordType::customers, "last_name"), FieldKind::text);
    EXPECT_EQ(field_kind(RecordType::customers, "last_namf"), std::nullopt);
    EXPECT_EQ(field_kind(RecordType::customers, "price"), std::nullopt);
    EXPECT_EQ(field_kind(RecordType::customers, ""), std::nullopt);
    EXPECT_EQ(field_kind(RecordType::customers, std::string(200, 'a')), std::nullopt);
    EXPECT_EQ(field_kind(RecordType::products, "price"), FieldKind::money);
    EXPECT_EQ(field_kind(RecordType::sales, "sale_payment_method"), FieldKind::text);
    EXPECT_EQ(field_kind(RecordType::sales, "quantity"), FieldKind::number);
    EXPECT_EQ(field_kind(RecordType::events, "date"), FieldKind::timestamp);
    EXPECT_EQ(field_kind(RecordType::shops, "name"), FieldKind::text);
    EXPECT_EQ(field_kind(RecordType::shops, "date"), std::nullopt);
    EXPECT_EQ(field_kind(static_cast<RecordType>(9), "date"), std::nullopt);
}

TEST(RecordSchema, CustomerIdentityOrder) {
    FieldErrors errors;
    auto writes = normalize(RecordType::customers,
                            R"([{"external_id": 17, "email": "a@x.fi"}, {"email": "Anna@X.fi"}, {"phone_number": "+358401"}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    ASSERT_EQ(writes.size(), 3u);
    EXPECT_EQ(writes[0].key, "external_id:17");
    EXPECT_EQ(writes[1].key, "email:anna@x.fi");
    EXPECT_EQ(writes[2].key, "phone_number:+358401");
    EXPECT_EQ(boost::json::serialize(writes[0].set.at("external_id")), "\"17\"");
}

TEST(RecordSchema, CustomerWithoutIdentity) {
    FieldErrors errors;
    normalize(RecordType::customers, R"([{"first_name": "Anna"}])", errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].index, 0u);
    EXPECT_EQ(errors[0].field, "external_id");
}

TEST(RecordSchema, RemovalsAndAdditions) {
    FieldErrors errors;
    auto writes = normalize(RecordType::customers,
                            R"([{"external_id": "1", "city": "", "zip_code": null, "mailing_lists.add": ["news"],
                                 "acme__tier": {"level": 2}, "foo.add": 1}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(writes[0].remove, (std::vector<std::string>{"city", "zip_code"}));
    ASSERT_EQ(writes[0].list_additions.size(), 1u);
    EXPECT_EQ(writes[0].list_additions[0].first, "mailing_lists");
    EXPECT_EQ(boost::json::serialize(writes[0].set.at("acme__tier")), R"({"level":2})");
    EXPECT_EQ(boost::json::serialize(writes[0].set.at("foo.add")), "1");
}

TEST(RecordSchema, WrongKindsNameRecordAndField) {
    FieldErrors errors;
    normalize(RecordType::customers,
              R"([{"external_id": "1"}, {"external_id": "2", "can_email": "maybe", "date_joined": "yesterday"}, 7])",
              errors);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0].index, 1u);
    EXPECT_EQ(errors[0].field, "can_email");
    EXPECT_EQ(errors[1].index, 1u);
    EXPECT_EQ(errors[1].field, "date_joined");
    EXPECT_EQ(errors[2].index, 2u);
}

TEST(RecordSchema, ProductValues) {
    FieldErrors errors;
    auto writes = normalize(RecordType::products,
                            R"([{"external_id": "P1", "price": "1990", "category": "Shoes, Boots", "category_id": [3, 4]}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    EXPECT_EQ(writes[0].key, "P1");
    EXPECT_EQ(boost::json::serialize(writes[0].set),
              R"({"external_id":"P1","price":1990,"category":["Shoes","Boots"],"category_id":["3","4"]})");
}

TEST(RecordSchema, SalesRequiredFields) {
    FieldErrors errors;
    normalize(RecordType::sales, R"([{"sale_external_id": "S1", "external_id": "L1"}])", errors);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].field, "sale_date");
    EXPECT_EQ(errors[1].field, "sale_customer_id");
}

TEST(RecordSchema, MagentoItemsExpand) {
    FieldErrors errors;
    auto writes = normalize(RecordType::sales, R"([{
        "sale_external_id": "100", "sale_date": "2024-05-01 12:00:00", "sale_email": "a@x.fi", "sale_total": 3980,
        "magento__items": [{"external_id": "1", "product_id": "P1", "quantity": "1.0000", "unit_price": 1990.0},
                           {"product_id": "P2", "quantity": 1, "unit_price": "1990"}]}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    ASSERT_EQ(writes.size(), 2u);
    EXPECT_EQ(writes[0].key, std::string("100\x1f") + "1");
    EXPECT_EQ(writes[1].key, std::string("100\x1f") + "product_id:P2");
    EXPECT_EQ(writes[0].group, "100");
    EXPECT_EQ(boost::json::serialize(writes[1].set.at("sale_date")), "\"2024-05-01T12:00:00Z\"");
    EXPECT_EQ(boost::json::serialize(writes[1].set.at("quantity")), "1");
    EXPECT_FALSE(writes[0].set.contains("magento__items"));
}

TEST(RecordSchema, MagentoLineKeepsRowOrder) {
    // A line has the row's fields in the order sent, without magento__items, then the item's.
    FieldErrors errors;
    auto writes = normalize(RecordType::sales, R"([{"sale_external_id": "S", "magento__items": [{"external_id": "1", "q": 1}],
        "sale_date": "2024-05-01T12:00:00Z", "sale_email": "a@x.fi"}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    ASSERT_EQ(writes.size(), 1u);
    EXPECT_EQ(boost::json::serialize(writes[0].set),
              R"({"sale_external_id":"S","sale_date":"2024-05-01T12:00:00Z","sale_email":"a@x.fi",)"
              R"("external_id":"1","q":1})");
}

TEST(RecordSchema, MagentoItemErrorsNameTheItem) {
    FieldErrors errors;
    normalize(RecordType::sales, R"([{"sale_external_id": "100", "sale_date": "2024-05-01", "sale_email": "a@x.fi",
        "magento__items": [{"external_id": "1", "quantity": "many"}]}])",
              errors);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0].index, 0u);
    EXPECT_EQ(errors[0].field, "magento__items[0].quantity");
}

TEST(RecordSchema, SaleFieldsSharedAcrossLines) {
    FieldErrors errors;
    auto writes = normalize(RecordType::sales, R"([
        {"sale_external_id": "S", "sale_date": "2024-01-01", "sale_email": "a@x.fi", "external_id": "1", "sale_total": 100},
        {"sale_external_id": "S", "sale_date": "2024-01-01", "sale_email": "a@x.fi", "external_id": "2", "sale_total": 200,
         "sale_state": ""}])",
                            errors);
    ASSERT_TRUE(errors.empty());
    EXPECT_EQ(boost::json::serialize(writes[0].set.at("sale_total")), "200");
    EXPECT_EQ(writes[0].remove, std::vector<std::string>{"sale_state"});
}

TEST(RecordSchema, EventsRequiredFields) {
    FieldErrors errors;
    auto writes = normalize(RecordType::events,
                            R"([{"type": "BROWSE", "date": "2024-01-01T10:00:00+02:00", "customer_id": 5}, {"type": "X"}])",
                            errors);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0].index, 1u);
    EXPECT_EQ(errors[0].field, "date");
    EXPECT_EQ(errors[1].field, "customer_id");
    EXPECT_FALSE(writes[0].key.has_value());
    EXPECT_EQ(boost::json::serialize(writes[0].set.at("date")), "\"2024-01-01T08:00:00Z\"");
}

TEST(RecordSchema, FilterValues) {
    EXPECT_EQ(normalize_filter_value(RecordType::customers, "can_email", "1"), "true");
    EXPECT_EQ(normalize_filter_value(RecordType::customers, "date_joined", "2024-01-01 10:00:00"),
              "2024-01-01T10:00:00Z");
    EXPECT_EQ(normalize_filter_value(RecordType::customers, "unknown_field", "1"), "1");
    EXPECT_EQ(normalize_filter_value(RecordType::products, "price", "19.90"), "20");
}

}  // namespace
}  // namespace openbar::api::records
