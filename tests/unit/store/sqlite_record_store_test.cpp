#include "store/sqlite/sqlite_record_store.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <sqlite3.h>

#include <filesystem>
#include <thread>

#include "store/sqlite/connection_pool.hpp"
#include "store/store.hpp"
#include "temp_database.hpp"

namespace openbar::store {
namespace {

class SqliteRecordStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-records");
        test_support::remove_database_files(path_);
        store_ = open_store("sqlite:" + path_.string());
        company_ = store_->create_company("acme").id;
        other_company_ = store_->create_company("other").id;
    }
    void TearDown() override {
        store_.reset();
        test_support::remove_database_files(path_);
    }

    // Returns a line of sale "S", keyed as the schema keys sales lines.
    static RecordWrite sale_line(const std::string& member, std::string_view set_json) {
        RecordWrite record = write("S\x1f" + member, set_json);
        record.group = "S";
        return record;
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

// Another company's sale with the same id is another group: its lines
// neither take this company's sale fields nor show up among its sales.
TEST_F(SqliteRecordStoreTest, SameSaleIdInTwoCompanies) {
    store_->records().upsert_records(other_company_, RecordType::sales,
                                     {sale_line("1", R"({"sale_total":100,"q":1})")});
    store_->records().upsert_records(company_, RecordType::sales, {sale_line("2", R"({"sale_total":200,"q":2})")});
    EXPECT_EQ(read_all(company_, RecordType::sales), std::vector<std::string>{R"({"sale_total":200,"q":2})"});
    EXPECT_EQ(read_all(other_company_, RecordType::sales), std::vector<std::string>{R"({"sale_total":100,"q":1})"});
}

// A sale's lines are one key range of the company's sales in
// data_records_sale_lines. The key-first index would read that range in
// every company.
TEST_F(SqliteRecordStoreTest, SaleLinesReadThroughTheirIndex) {
    std::string explain = std::string("EXPLAIN QUERY PLAN ") + sqlite::group_query();
    sqlite::Connection connection(path_.string());
    auto plan = connection.prepare(explain.c_str());
    std::string details;
    while (plan.step()) details += plan.text_at(3) + "\n";
    EXPECT_NE(details.find("USING INDEX data_records_sale_lines (company_id=? AND key>? AND key<?)"),
              std::string::npos)
        << details;
}

TEST_F(SqliteRecordStoreTest, GroupFieldsReachEveryMember) {
    store_->records().upsert_records(company_, RecordType::sales,
                                     {sale_line("1", R"({"sale_total":100,"sale_state":"NEW","q":1})"),
                                      sale_line("2", R"({"sale_total":100,"sale_state":"NEW","q":2})")});
    // A new line joins with the stored sale fields; a changed sale field reaches the old lines.
    RecordWrite third = sale_line("3", R"({"sale_total":300,"q":3})");
    third.remove = {"sale_state"};
    store_->records().upsert_records(company_, RecordType::sales, {third});
    EXPECT_EQ(read_all(company_, RecordType::sales),
              (std::vector<std::string>{R"({"sale_total":300,"q":1})", R"({"sale_total":300,"q":2})",
                                        R"({"sale_total":300,"q":3})"}));
}

TEST_F(SqliteRecordStoreTest, InterleavedWritesPageSeparately) {
    // Writes alternate between companies and types, so each range grows between the others.
    for (int round = 0; round < 3; ++round) {
        std::string n = std::to_string(round);
        store_->records().upsert_records(company_, RecordType::customers, {write("c" + n, "{\"n\":" + n + "}")});
        store_->records().upsert_records(other_company_, RecordType::customers, {write("c" + n, R"({"other":1})")});
        store_->records().upsert_records(company_, RecordType::products, {write("p" + n, R"({"product":1})")});
    }
    RecordQuery query;
    query.limit = 1;
    std::vector<std::string> seen;
    std::vector<std::int64_t> cursors;
    for (;;) {
        RecordPage page = store_->records().read_records(company_, query);
        seen.insert(seen.end(), page.records.begin(), page.records.end());
        if (!page.next_after) break;
        cursors.push_back(*page.next_after);
        query.after = *page.next_after;
    }
    EXPECT_EQ(seen, (std::vector<std::string>{R"({"n":0})", R"({"n":1})", R"({"n":2})"}));
    // A cursor counts within the company's customers: 1 and 2, not positions in the table.
    EXPECT_EQ(cursors, (std::vector<std::int64_t>{1, 2}));
    EXPECT_EQ(read_all(other_company_, RecordType::customers).size(), 3u);
    EXPECT_EQ(read_all(company_, RecordType::products).size(), 3u);
    EXPECT_TRUE(read_all(other_company_, RecordType::products).empty());
}

TEST_F(SqliteRecordStoreTest, CursorPastTheEndIsAnEmptyPage) {
    store_->records().upsert_records(company_, RecordType::customers, {write("a", R"({"n":1})")});
    store_->records().upsert_records(other_company_, RecordType::customers, {write("a", R"({"n":2})")});
    for (std::int64_t after : {std::int64_t{1}, std::int64_t{1} << 38, std::numeric_limits<std::int64_t>::max()}) {
        RecordQuery query;
        query.after = after;
        RecordPage page = store_->records().read_records(company_, query);
        EXPECT_TRUE(page.records.empty()) << after;
        EXPECT_FALSE(page.next_after.has_value()) << after;
    }
}

TEST_F(SqliteRecordStoreTest, MisnumberedRowStaysInItsCompany) {
    store_->records().upsert_records(company_, RecordType::customers, {write("a", R"({"n":"mine"})")});
    store_->records().upsert_records(other_company_, RecordType::customers, {write("b", R"({"n":"other"})")});
    {
        // A binary from before migration 11 numbers a new row with the largest seq plus one,
        // which lies in the range of the other company's customers.
        sqlite::Connection connection(path_.string());
        connection.prepare("INSERT INTO data_records (seq, company_id, type, key, data) "
                           "SELECT max(seq) + 1, ?, 1, 'external_id:c', '{\"n\":\"secret\"}' FROM data_records")
            .bind(1, company_)
            .run();
    }
    EXPECT_EQ(read_all(other_company_, RecordType::customers), std::vector<std::string>{R"({"n":"other"})"});
    EXPECT_EQ(read_all(other_company_, RecordType::customers, {{"n", "secret"}}), std::vector<std::string>{});
}

TEST_F(SqliteRecordStoreTest, PageQueryReadsSeqRange) {
    // Connection::prepare caches statements by the SQL's address, so every text lives until the end.
    std::vector<std::string> explains;
    explains.reserve(max_record_filters + 1);
    for (std::size_t filters = 0; filters <= max_record_filters; ++filters) {
        explains.push_back("EXPLAIN QUERY PLAN " + sqlite::page_query(filters));
    }
    sqlite::Connection connection(path_.string());
    for (const std::string& explain : explains) {
        auto plan = connection.prepare(explain.c_str());
        std::string details;
        while (plan.step()) details += plan.text_at(3) + "\n";
        EXPECT_NE(details.find("USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"), std::string::npos) << details;
        EXPECT_EQ(details.find("TEMP B-TREE"), std::string::npos) << details;
    }
}

TEST_F(SqliteRecordStoreTest, OversizedCompanyIdIsRejected) {
    {
        sqlite::Connection connection(path_.string());
        connection.execute("INSERT INTO companies (id, name) VALUES (4194304, 'huge')");
    }
    try {
        store_->records().upsert_records(4194304, RecordType::customers, {write("a", R"({"n":1})")});
        FAIL() << "expected a StoreError";
    } catch (const StoreError& error) {
        EXPECT_EQ(error.kind(), StoreError::Kind::conflict);
        EXPECT_NE(std::string(error.what()).find("4194303"), std::string::npos) << error.what();
    }
    EXPECT_THROW(store_->records().read_records(4194304, RecordQuery{}), StoreError);
}

// New records are inserted 32 to a statement. Keys already stored and keys
// repeated inside the upload must still merge in upload order.
TEST_F(SqliteRecordStoreTest, ChunkedInsertsMergeInOrder) {
    store_->records().upsert_records(company_, RecordType::products,
                                     {write("k5", R"({"old":1})"), write("k40", R"({"old":2})")});
    std::vector<RecordWrite> upload;
    for (int i = 0; i < 70; ++i) {
        std::string key = "k" + std::to_string(i);
        if (i == 10) key = "k3";
        if (i == 50) key = "k45";
        std::string json = "{\"n\":" + std::to_string(i) + (i == 10 || i == 50 ? ",\"dup\":1}" : "}");
        upload.push_back(write(key, json));
    }
    UpsertCounts counts = store_->records().upsert_records(company_, RecordType::products, upload);
    EXPECT_EQ(counts.created, 66u);
    EXPECT_EQ(counts.updated, 4u);

    std::vector<std::string> expected = {R"({"old":1,"n":5})", R"({"old":2,"n":40})"};
    for (int i = 0; i < 70; ++i) {
        if (i == 5 || i == 40 || i == 10 || i == 50) continue;
        if (i == 3) expected.push_back(R"({"n":10,"dup":1})");
        else if (i == 45) expected.push_back(R"({"n":50,"dup":1})");
        else expected.push_back("{\"n\":" + std::to_string(i) + "}");
    }
    EXPECT_EQ(read_all(company_, RecordType::products), expected);

    // Pages of 7 still cover every record once, seq gaps left by repeated keys included.
    RecordQuery query;
    query.type = RecordType::products;
    query.limit = 7;
    std::vector<std::string> paged;
    for (int pages = 0; pages < 20; ++pages) {
        RecordPage page = store_->records().read_records(company_, query);
        paged.insert(paged.end(), page.records.begin(), page.records.end());
        if (!page.next_after) break;
        query.after = *page.next_after;
    }
    EXPECT_EQ(paged, expected);
}

// The shape column lets an update that sets exactly the stored fields skip the merge.
class RecordShapeTest : public SqliteRecordStoreTest {
protected:
    // The stored data and whether its shape column matches its field names.
    std::pair<std::string, bool> stored(const std::string& key) {
        sqlite::Connection connection(path_.string());
        auto select = connection.prepare("SELECT data, shape FROM data_records WHERE key = ?");
        select.bind(1, std::string_view(key));
        if (!select.step()) return {"", false};
        std::string data = select.text_at(0);
        auto shape = select.blob_at(1);
        auto expected = sqlite::record_shape(boost::json::parse(data).as_object());
        return {data, std::equal(shape.begin(), shape.end(), expected.begin(), expected.end())};
    }
    void upsert(const std::string& key, std::string_view json) {
        store_->records().upsert_records(company_, RecordType::products, {write(key, json)});
    }
};

TEST_F(RecordShapeTest, MergeKeepsOrderAndFields) {
    upsert("p", R"({"a":1,"b":2,"c":3})");
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":1,"b":2,"c":3})"), true));
    upsert("p", R"({"a":4,"b":5,"c":6})");  // same names, same order
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":4,"b":5,"c":6})"), true));
    upsert("p", R"({"c":7,"b":8,"a":9})");  // every stored name, other order: the write's order
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"c":7,"b":8,"a":9})"), true));
    upsert("p", R"({"a":10})");  // fewer names: the stored order stays
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"c":7,"b":8,"a":10})"), true));
    upsert("p", R"({"a":9,"b":10,"c":7})");
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":9,"b":10,"c":7})"), true));
    upsert("p", R"({"a":1,"b":2,"c":3,"d":4})");  // more names
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":1,"b":2,"c":3,"d":4})"), true));

    RecordWrite removal = write("p", R"({"a":1,"b":2,"c":3})");
    removal.remove = {"d"};
    store_->records().upsert_records(company_, RecordType::products, {removal});
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":1,"b":2,"c":3})"), true));
}

TEST_F(RecordShapeTest, ShapeSeparatesNames) {
    EXPECT_NE(sqlite::record_shape(boost::json::parse(R"({"ab":1,"c":2})").as_object()),
              sqlite::record_shape(boost::json::parse(R"({"a":1,"bc":2})").as_object()));
    EXPECT_NE(sqlite::record_shape(boost::json::parse(R"({"a":1,"b":2})").as_object()),
              sqlite::record_shape(boost::json::parse(R"({"b":1,"a":2})").as_object()));
    EXPECT_EQ(sqlite::record_shape(boost::json::parse(R"({"a":1,"b":2})").as_object()),
              sqlite::record_shape(boost::json::parse(R"({"a":"x","b":[]})").as_object()));
}

// Each thread reuses its last digest while the names stay the same. The
// digest must still be the one of the names it is given.
TEST_F(RecordShapeTest, ReusedShapeFollowsNames) {
    auto shape_of = [](const char* json) { return sqlite::record_shape(boost::json::parse(json).as_object()); };
    sqlite::RecordShape a_then_b = shape_of(R"({"a":1,"b":2})");
    sqlite::RecordShape empty = shape_of("{}");
    sqlite::RecordShape b_then_a = shape_of(R"({"b":1,"a":2})");
    EXPECT_NE(a_then_b, empty);
    EXPECT_NE(a_then_b, b_then_a);
    EXPECT_EQ(shape_of(R"({"a":3,"b":4})"), a_then_b);
    EXPECT_EQ(shape_of("{}"), empty);
    std::thread([&] { EXPECT_EQ(shape_of("{}"), empty); }).join();
    std::thread([&] { EXPECT_EQ(shape_of(R"({"b":1,"a":2})"), b_then_a); }).join();
}

TEST_F(RecordShapeTest, UnchangedUploadFillsMissingShape) {
    upsert("p", R"({"a":1,"b":2})");
    {
        sqlite::Connection connection(path_.string());
        connection.execute("UPDATE data_records SET shape = NULL");
    }
    upsert("p", R"({"a":1})");  // changes nothing
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":1,"b":2})"), true));
}

TEST_F(RecordShapeTest, MissingShapeIsFilled) {
    upsert("p", R"({"a":1,"b":2})");
    {
        sqlite::Connection connection(path_.string());
        connection.execute(R"(UPDATE data_records SET shape = NULL, data = '{"a":1,"b":2,"extra":3}')");
    }
    upsert("p", R"({"a":5,"b":6})");
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"a":5,"b":6,"extra":3})"), true));
}

// The writer trusts the shape column: with equal shapes it stores the
// write's text without reading the stored fields. This shows that the fast
// path ran, and why a change to data outside openbar must clear the shape.
TEST_F(RecordShapeTest, EqualShapeSkipsMerge) {
    upsert("p", R"({"a":1,"b":2})");
    {
        sqlite::Connection connection(path_.string());
        connection.execute(R"(UPDATE data_records SET data = '{"a":1,"b":2,"extra":3}')");
    }
    upsert("p", R"({"a":5,"b":6})");
    EXPECT_EQ(stored("p").first, R"({"a":5,"b":6})");
}

TEST_F(RecordShapeTest, RemovalKeepsFieldOrder) {
    upsert("p", R"({"external_id":"p","a":1,"b":2,"c":3})");
    RecordWrite removal = write("p", R"({"b":5})");
    removal.remove = {"a"};
    store_->records().upsert_records(company_, RecordType::products, {removal});
    EXPECT_EQ(stored("p"), std::make_pair(std::string(R"({"external_id":"p","b":5,"c":3})"), true));
}

TEST_F(SqliteRecordStoreTest, SaleFieldRemovalKeepsLineOrder) {
    store_->records().upsert_records(company_, RecordType::sales,
                                     {sale_line("1", R"({"sale_state":"NEW","q":1,"sale_total":100})"),
                                      sale_line("2", R"({"sale_state":"NEW","q":2,"sale_total":100})")});
    // Line 2 removes sale_state; line 1 gets the removal when the batch ends.
    // Line 2 was stored with line 1's sale fields first, a new line's order.
    RecordWrite change = sale_line("2", R"({"q":2})");
    change.remove = {"sale_state"};
    store_->records().upsert_records(company_, RecordType::sales, {change});
    EXPECT_EQ(read_all(company_, RecordType::sales),
              (std::vector<std::string>{R"({"q":1,"sale_total":100})", R"({"sale_total":100,"q":2})"}));
}

TEST_F(RecordShapeTest, UnchangedRecordNotRewritten) {
    upsert("p", R"({"a":1,"b":2})");
    sqlite::Connection connection(path_.string());
    // A trigger counts the rows that an UPDATE rewrites.
    connection.execute(
        "CREATE TABLE rewrites (n INTEGER); INSERT INTO rewrites VALUES (0);"
        "CREATE TRIGGER count_rewrites AFTER UPDATE ON data_records BEGIN UPDATE rewrites SET n = n + 1; END;");
    upsert("p", R"({"a":1,"b":2})");
    upsert("p", R"({"b":2})");
    upsert("p", R"({"a":3,"b":2})");
    auto select = connection.prepare("SELECT n FROM rewrites");
    ASSERT_TRUE(select.step());
    EXPECT_EQ(select.int64_at(0), 1);
}

// The columns of the index that finds records by key, in order.
std::vector<std::string> key_index_columns(sqlite::Connection& connection) {
    auto columns = connection.prepare("SELECT name FROM pragma_index_info('data_records_by_key') ORDER BY seqno");
    std::vector<std::string> names;
    while (columns.step()) names.push_back(columns.text_at(0));
    return names;
}

// A database written before migration 11 numbered records with one global seq.
class RecordMigrationTest : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = test_support::temp_database_path("openbar-records-migration");
        remove_files();
    }
    void TearDown() override { remove_files(); }
    void remove_files() { test_support::remove_database_files(path_); }
    static RecordWrite keyed(std::string key, std::string_view set_json) {
        RecordWrite record;
        record.key = std::move(key);
        record.set = boost::json::parse(set_json).as_object();
        return record;
    }
    // Builds a version-10 database and runs `fill` on it.
    void make_old_database(const char* fill) {
        sqlite::Connection connection(path_.string());
        sqlite::apply_migrations(connection, 10);
        connection.execute(fill);
    }

    std::filesystem::path path_;
};

TEST_F(RecordMigrationTest, OldSeqsBecomeCounters) {
    make_old_database(R"sql(
        INSERT INTO companies (id, name) VALUES (1, 'acme'), (2, 'other');
        INSERT INTO data_records (seq, company_id, type, key, data) VALUES
            (1, 1, 1, 'external_id:a', '{"n":"a"}'),
            (2, 2, 1, 'external_id:a', '{"n":"other a"}'),
            (3, 1, 2, 'p', '{"n":"product"}'),
            (4, 1, 1, 'external_id:b', '{"n":"b"}'),
            (7, 1, 1, 'external_id:c', '{"n":"c"}'),
            (8, 1, 4, NULL, '{"n":"event"}');
    )sql");
    auto store = open_store("sqlite:" + path_.string());

    // A cursor handed out before the migration (seq 4, after record b) still continues after b.
    RecordQuery query;
    query.after = 4;
    RecordPage page = store->records().read_records(1, query);
    EXPECT_EQ(page.records, std::vector<std::string>{R"({"n":"c"})"});

    // Updates find migrated records by key; new records follow the largest old counter.
    UpsertCounts counts = store->records().upsert_records(
        1, RecordType::customers, {keyed("external_id:a", R"({"m":1})"), keyed("external_id:d", R"({"n":"d"})")});
    EXPECT_EQ(counts.updated, 1u);
    EXPECT_EQ(counts.created, 1u);

    query.after = 0;
    query.limit = 2;
    page = store->records().read_records(1, query);
    EXPECT_EQ(page.records, (std::vector<std::string>{R"({"n":"a","m":1})", R"({"n":"b"})"}));
    ASSERT_TRUE(page.next_after);
    EXPECT_EQ(*page.next_after, 4);
    query.after = *page.next_after;
    page = store->records().read_records(1, query);
    EXPECT_EQ(page.records, (std::vector<std::string>{R"({"n":"c"})", R"({"n":"d"})"}));
    EXPECT_FALSE(page.next_after);

    query.after = 0;
    EXPECT_EQ(store->records().read_records(2, query).records, std::vector<std::string>{R"({"n":"other a"})"});
    query.type = RecordType::events;
    EXPECT_EQ(store->records().read_records(1, query).records, std::vector<std::string>{R"({"n":"event"})"});
    store.reset();

    sqlite::Connection connection(path_.string());
    auto seqs = connection.prepare("SELECT seq FROM data_records WHERE company_id = 1 AND type = 1 ORDER BY seq");
    std::vector<std::int64_t> found;
    while (seqs.step()) found.push_back(seqs.int64_at(0));
    std::int64_t base = std::int64_t{1} << 41 | std::int64_t{1} << 38;
    EXPECT_EQ(found, (std::vector<std::int64_t>{base + 1, base + 4, base + 7, base + 8}));
    auto index = connection.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'data_records_by_seq'");
    ASSERT_TRUE(index.step());
    EXPECT_EQ(index.int64_at(0), 0);
    EXPECT_EQ(key_index_columns(connection), (std::vector<std::string>{"key", "company_id", "type"}));
    auto sale_lines = connection.prepare("SELECT group_concat(name) FROM pragma_index_info('data_records_sale_lines')");
    ASSERT_TRUE(sale_lines.step());
    EXPECT_EQ(sale_lines.text_at(0), "company_id,key");
}

// A database created before openbar used 8 KiB pages keeps its 4 KiB pages:
// SQLite cannot change the page size of a WAL database in place.
TEST_F(RecordMigrationTest, OldPageSizeIsKept) {
    sqlite3* handle = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &handle), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(handle, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; CREATE TABLE older (a)", nullptr,
                           nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(handle);
    make_old_database(R"sql(
        INSERT INTO companies (id, name) VALUES (1, 'acme');
        INSERT INTO data_records (seq, company_id, type, key, data) VALUES (1, 1, 1, 'external_id:a', '{"n":"a"}');
    )sql");
    auto store = open_store("sqlite:" + path_.string());
    UpsertCounts counts = store->records().upsert_records(
        1, RecordType::customers, {keyed("external_id:a", R"({"m":1})"), keyed("external_id:b", R"({"n":"b"})")});
    EXPECT_EQ(counts.updated, 1u);
    EXPECT_EQ(counts.created, 1u);
    EXPECT_EQ(store->records().read_records(1, RecordQuery{}).records,
              (std::vector<std::string>{R"({"n":"a","m":1})", R"({"n":"b"})"}));
    store.reset();

    sqlite::Connection connection(path_.string());
    auto page_size = connection.prepare("PRAGMA page_size");
    ASSERT_TRUE(page_size.step());
    EXPECT_EQ(page_size.int64_at(0), 4096);
    EXPECT_EQ(key_index_columns(connection), (std::vector<std::string>{"key", "company_id", "type"}));
}

TEST_F(RecordMigrationTest, OversizedIdsStopMigration) {
    make_old_database(R"sql(
        INSERT INTO companies (id, name) VALUES (5000000, 'huge');
        INSERT INTO data_records (seq, company_id, type, key, data) VALUES (1, 5000000, 1, 'external_id:a', '{}');
    )sql");
    try {
        open_store("sqlite:" + path_.string());
        FAIL() << "expected the migration to refuse";
    } catch (const StoreError& error) {
        EXPECT_NE(std::string(error.what()).find("migration 11 cannot run: record 1 (company 5000000"),
                  std::string::npos)
            << error.what();
    }
    // Nothing changed: the old table and its rows are still there.
    sqlite::Connection connection(path_.string());
    auto rows = connection.prepare("SELECT seq, company_id FROM data_records");
    ASSERT_TRUE(rows.step());
    EXPECT_EQ(rows.int64_at(0), 1);
    EXPECT_EQ(rows.int64_at(1), 5000000);
    auto version = connection.prepare("SELECT max(version) FROM schema_migrations");
    ASSERT_TRUE(version.step());
    EXPECT_EQ(version.int64_at(0), 10);
}

}  // namespace
}  // namespace openbar::store
