#include "api/records/field_values.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace openbar::api::records {
namespace {

// Returns the stored JSON text for `input_json`, or "error".
std::string stored(FieldKind kind, std::string_view input_json) {
    boost::json::value output;
    if (normalize_value(kind, boost::json::parse(input_json), output)) return "error";
    return boost::json::serialize(output);
}

TEST(FieldValues, MoneyForms) {
    EXPECT_EQ(stored(FieldKind::money, "1990"), "1990");
    EXPECT_EQ(stored(FieldKind::money, "1990.0"), "1990");
    EXPECT_EQ(stored(FieldKind::money, "\"1990\""), "1990");
    EXPECT_EQ(stored(FieldKind::money, "\"1990.00\""), "1990");
    EXPECT_EQ(stored(FieldKind::money, "\"-250\""), "-250");
    EXPECT_EQ(stored(FieldKind::money, "1990.6"), "1991");
    EXPECT_EQ(stored(FieldKind::money, "\"19,90\""), "error");
    EXPECT_EQ(stored(FieldKind::money, "\"1e3\""), "error");
    EXPECT_EQ(stored(FieldKind::money, "\"\""), "error");
    EXPECT_EQ(stored(FieldKind::money, "true"), "error");
    EXPECT_EQ(stored(FieldKind::money, "[1]"), "error");
}

TEST(FieldValues, NumberForms) {
    EXPECT_EQ(stored(FieldKind::number, "\"2.0000\""), "2");
    EXPECT_EQ(stored(FieldKind::number, "\"1.5000\""), "1.5E0");
    EXPECT_EQ(stored(FieldKind::number, "3"), "3");
    EXPECT_EQ(stored(FieldKind::number, "3.0"), "3");
    EXPECT_EQ(stored(FieldKind::number, "\"two\""), "error");
    EXPECT_EQ(stored(FieldKind::number, "false"), "error");
}

TEST(FieldValues, BooleanForms) {
    EXPECT_EQ(stored(FieldKind::boolean, "true"), "true");
    EXPECT_EQ(stored(FieldKind::boolean, "false"), "false");
    EXPECT_EQ(stored(FieldKind::boolean, "1"), "true");
    EXPECT_EQ(stored(FieldKind::boolean, "0"), "false");
    EXPECT_EQ(stored(FieldKind::boolean, "\"True\""), "true");
    EXPECT_EQ(stored(FieldKind::boolean, "\"0\""), "false");
    EXPECT_EQ(stored(FieldKind::boolean, "\"yes please\""), "error");
    EXPECT_EQ(stored(FieldKind::boolean, "2"), "error");
}

TEST(FieldValues, TextForms) {
    EXPECT_EQ(stored(FieldKind::text, "\"Anna\""), "\"Anna\"");
    EXPECT_EQ(stored(FieldKind::text, "40100"), "\"40100\"");
    EXPECT_EQ(stored(FieldKind::text, "true"), "error");
    EXPECT_EQ(stored(FieldKind::text, "{}"), "error");
}

TEST(FieldValues, IdentifierForms) {
    EXPECT_EQ(stored(FieldKind::identifier, "123"), "\"123\"");
    EXPECT_EQ(stored(FieldKind::identifier, "\"A-1\""), "\"A-1\"");
    EXPECT_EQ(stored(FieldKind::identifier, "1.5"), "error");
    EXPECT_EQ(stored(FieldKind::identifier, "\"a\\u0001b\""), "error");
    EXPECT_EQ(stored(FieldKind::identifier, "[\"a\"]"), "error");
}

TEST(FieldValues, ListForms) {
    EXPECT_EQ(stored(FieldKind::list, "[\"Shoes\", \"Boots\"]"), "[\"Shoes\",\"Boots\"]");
    EXPECT_EQ(stored(FieldKind::list, "\"Shoes, Boots,,\""), "[\"Shoes\",\"Boots\"]");
    EXPECT_EQ(stored(FieldKind::list, "[12, \"13\"]"), "[\"12\",\"13\"]");
    EXPECT_EQ(stored(FieldKind::list, "[true]"), "error");
    EXPECT_EQ(stored(FieldKind::list, "12"), "error");
}

TEST(FieldValues, TimestampForms) {
    EXPECT_EQ(normalize_timestamp("2024-02-29"), "2024-02-29");
    EXPECT_EQ(normalize_timestamp("2024-02-29T10:20:30"), "2024-02-29T10:20:30Z");
    EXPECT_EQ(normalize_timestamp("2024-02-29 10:20:30"), "2024-02-29T10:20:30Z");
    EXPECT_EQ(normalize_timestamp("2024-02-29T10:20:30Z"), "2024-02-29T10:20:30Z");
    EXPECT_EQ(normalize_timestamp("2024-02-29T10:20:30.123456Z"), "2024-02-29T10:20:30Z");
    EXPECT_EQ(normalize_timestamp("2024-03-01T01:30:00+03:00"), "2024-02-29T22:30:00Z");
    EXPECT_EQ(normalize_timestamp("2024-12-31T22:00:00-0230"), "2025-01-01T00:30:00Z");
    EXPECT_EQ(normalize_timestamp("2024-01-01T10:20"), "2024-01-01T10:20:00Z");
}

TEST(FieldValues, TimestampRejects) {
    EXPECT_EQ(normalize_timestamp("2023-02-29"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("2024-13-01"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("2024-01-01T24:00:00"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("2024-01-01T10:20:30+25:00"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("01.02.2024"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("2024-01-01X"), std::nullopt);
    EXPECT_EQ(normalize_timestamp("2024-01-01T10:20:30 junk"), std::nullopt);
    EXPECT_EQ(stored(FieldKind::timestamp, "20240101"), "error");
}

TEST(FieldValues, FilterText) {
    EXPECT_EQ(filter_text(boost::json::value(true)), "true");
    EXPECT_EQ(filter_text(boost::json::value(1990)), "1990");
    EXPECT_EQ(filter_text(boost::json::value(2.5)), "2.5");
    EXPECT_EQ(filter_text(boost::json::value("x")), "x");
}

}  // namespace
}  // namespace openbar::api::records
