#include "store/sqlite/sqlite_record_store.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <unistd.h>

#include "store/store.hpp"

namespace openbar::store {
namespace {

class SqliteRecordStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("openbar-records-" + std::to_string(::getpid()) + "-" +
                 ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
        std::filesystem::remove(path_);
        store_ = open_store("sqlite:" + path_.string());
        company_ = store_->create_company("acme").id;
        other_company_ = store_->create_company("other").id;
    }
    void TearDown() override {
        store_.reset();
        for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_.string() + suffix);
    }

    static RecordWrite write(std::string key, std::string_view set_json) {
        RecordWrite record;
        record.key = std::move(key);
        record.set = boost::json::parse(set_json).as_object();
        return record;
    }

    std::vector<std::string> read_all(std::int64_t company, RecordType type, std::vector<FieldFilter> filters = {}) {
        RecordQuery query;
        query.type = type;
        query.limit = 1000;
        query.filters = std::move(filters);
        return store_->records().read_records(company, query).records;
    }

    std::filesystem::path path_;
    std::unique_ptr<Store> store_;
    std::int64_t company_ = 0;
    std::int64_t other_company_ = 0;
};

TEST_F(SqliteRecordStoreTest, InsertsThenMerges) {
    auto counts = store_->records().upsert_records(company_, RecordType::customers,
                                                   {write("a", R"({"external_id":"a","city":"Oulu","x":1})")});
    EXPECT_EQ(counts.created, 1u);
    EXPECT_EQ(counts.updated, 0u);

    RecordWrite change = write("a", R"({"first_name":"Anna"})");
    change.remove = {"city"};
    change.list_additions.emplace_back("mailing_lists", boost::json::array{"news", "news"});
    counts = store_->records().upsert_records(company_, RecordType::customers, {change});
    EXPECT_EQ(counts.created, 0u);
    EXPECT_EQ(counts.updated, 1u);
    auto stored = read_all(company_, RecordType::customers);
    ASSERT_EQ(stored.size(), 1u);
    // Object equality ignores member order, which erase() does not keep.
    EXPECT_EQ(boost::json::parse(stored[0]),
              boost::json::parse(R"({"external_id":"a","x":1,"first_name":"Anna","mailing_lists":["news"]})"));
}

TEST_F(SqliteRecordStoreTest, SameKeyTwiceInOneBatch) {
    auto counts = store_->records().upsert_records(
        company_, RecordType::products, {write("p", R"({"external_id":"p","a":1})"), write("p", R"({"b":2})")});
    EXPECT_EQ(counts.created, 1u);
    EXPECT_EQ(counts.updated, 1u);
    EXPECT_EQ(read_all(company_, RecordType::products), std::vector<std::string>{R"({"external_id":"p","a":1,"b":2})"});
}

TEST_F(SqliteRecordStoreTest, CompaniesAndTypesAreSeparate) {
    store_->records().upsert_records(company_, RecordType::customers, {write("k", R"({"owner":"acme"})")});
    store_->records().upsert_records(other_company_, RecordType::customers, {write("k", R"({"owner":"other"})")});
    store_->records().upsert_records(company_, RecordType::products, {write("k", R"({"owner":"product"})")});
    EXPECT_EQ(read_all(company_, RecordType::customers), std::vector<std::string>{R"({"owner":"acme"})"});
    EXPECT_EQ(read_all(other_company_, RecordType::customers), std::vector<std::string>{R"({"owner":"other"})"});
    EXPECT_EQ(read_all(company_, RecordType::products), std::vector<std::string>{R"({"owner":"product"})"});
}

TEST_F(SqliteRecordStoreTest, PagesKeepInsertionOrderWhenUpdated) {
    std::vector<RecordWrite> batch;
    for (int i = 0; i < 5; ++i) batch.push_back(write("k" + std::to_string(i), "{\"n\":" + std::to_string(i) + "}"));
    store_->records().upsert_records(company_, RecordType::customers, batch);

    RecordQuery query;
    query.limit = 2;
    RecordPage first = store_->records().read_records(company_, query);
    ASSERT_EQ(first.records, (std::vector<std::string>{R"({"n":0})", R"({"n":1})"}));
    ASSERT_TRUE(first.next_after.has_value());

    // An update to a read record and a new insert must not shift the pages.
    store_->records().upsert_records(company_, RecordType::customers, {write("k0", R"({"m":1})"), write("k9", R"({"n":9})")});
    query.after = *first.next_after;
    RecordPage second = store_->records().read_records(company_, query);
    EXPECT_EQ(second.records, (std::vector<std::string>{R"({"n":2})", R"({"n":3})"}));
    query.after = *second.next_after;
    query.limit = 10;
    RecordPage last = store_->records().read_records(company_, query);
    EXPECT_EQ(last.records, (std::vector<std::string>{R"({"n":4})", R"({"n":9})"}));
    EXPECT_FALSE(last.next_after.has_value());
}

TEST_F(SqliteRecordStoreTest, FiltersCompareRenderedValues) {
    store_->records().upsert_records(
        company_, RecordType::customers,
        {write("a", R"({"can_email":true,"n":5,"s":"x","q":2.5})"), write("b", R"({"can_email":false,"n":"5","s":"y"})")});
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"can_email", "true"}}).size(), 1u);
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"can_email", "false"}}).size(), 1u);
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"n", "5"}}).size(), 2u);
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"n", "5"}, {"s", "y"}}).size(), 1u);
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"q", "2.5"}}).size(), 1u);
    EXPECT_EQ(read_all(company_, RecordType::customers, {{"missing", "5"}}).size(), 0u);
}

TEST_F(SqliteRecordStoreTest, AppendsWithoutKey) {
    RecordWrite event;
    event.set = boost::json::parse(R"({"type":"BROWSE"})").as_object();
    auto counts = store_->records().upsert_records(company_, RecordType::events, {event, event});
    EXPECT_EQ(counts.created, 2u);
    EXPECT_EQ(read_all(company_, RecordType::events).size(), 2u);
}

TEST_F(SqliteRecordStoreTest, GroupFieldsReachEveryMember) {
    auto line = [](std::string member, std::string_view json) {
        RecordWrite record = write("S\x1f" + member, json);
        record.group = "S";
        return record;
    };
    store_->records().upsert_records(company_, RecordType::sales,
                                     {line("1", R"({"sale_total":100,"sale_state":"NEW","q":1})"),
                                      line("2", R"({"sale_total":100,"sale_state":"NEW","q":2})")});
    // A new line joins with the stored sale fields; a changed sale field reaches the old lines.
    RecordWrite third = line("3", R"({"sale_total":300,"q":3})");
    third.remove = {"sale_state"};
    store_->records().upsert_records(company_, RecordType::sales, {third});
    EXPECT_EQ(read_all(company_, RecordType::sales),
              (std::vector<std::string>{R"({"sale_total":300,"q":1})", R"({"sale_total":300,"q":2})",
                                        R"({"sale_total":300,"q":3})"}));
}

}  // namespace
}  // namespace openbar::store
