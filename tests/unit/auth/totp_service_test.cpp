#include "auth/totp_service.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/store.hpp"

namespace openbar::auth {
namespace {

using Kind = TotpOutcome::Kind;

class TotpServiceTest : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::filesystem::temp_directory_path() /
                     ("openbar-totp-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
                      ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory_);
        std::filesystem::create_directories(directory_);
        store_ = store::open_store("sqlite:" + (directory_ / "test.db").string());
        auto company = store_->create_company("acme");
        user_ = store_->create_user(company.id, "bob", "unused-hash");
        std::array<std::uint8_t, KeyRing::key_bytes> key{};
        key.fill(7);
        keys_ = std::make_unique<KeyRing>(key);
        service_ = std::make_unique<TotpService>(*store_, *keys_, TotpVerifier([this] { return now_; }),
                                                 BackoffPolicy{5, std::chrono::seconds(30), std::chrono::seconds(900)},
                                                 1000);
    }
    void TearDown() override {
        service_.reset();
        store_.reset();
        std::filesystem::remove_all(directory_);
    }

    std::string code_at(std::int64_t step_offset) const {
        return totp::code_for_step(secret_, totp::time_step_at(now_) + step_offset);
    }
    Kind check(const std::string& code) { return service_->check(user_.id, {code}).kind; }

    std::filesystem::path directory_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<KeyRing> keys_;
    std::unique_ptr<TotpService> service_;
    store::User user_;
    std::int64_t now_ = 1700000015;
    std::string secret_ = "12345678901234567890";
};

TEST_F(TotpServiceTest, NotEnrolledNeedsNoCode) {
    EXPECT_EQ(service_->check(user_.id, {}).kind, Kind::not_enrolled);
}

TEST_F(TotpServiceTest, EnableBumpsEpochAndSealsSecret) {
    auto codes = service_->enable(user_.id, secret_);
    EXPECT_EQ(codes.size(), 10u);
    auto user = store_->find_user(user_.company_id, "bob");
    EXPECT_EQ(user->credential_epoch, user_.credential_epoch + 1);
    auto credential = store_->totp().find_totp(user_.id);
    ASSERT_TRUE(credential);
    EXPECT_EQ(keys_->open(credential->sealed_secret), secret_);
    EXPECT_EQ(credential->unused_recovery_codes, 10u);
    EXPECT_EQ(credential->last_step, -1);
}

TEST_F(TotpServiceTest, RequiresCode) {
    service_->enable(user_.id, secret_);
    EXPECT_EQ(service_->check(user_.id, {}).kind, Kind::required);
}

TEST_F(TotpServiceTest, AcceptsCodeOnceOnly) {
    service_->enable(user_.id, secret_);
    std::string code = code_at(0);
    EXPECT_EQ(check(code), Kind::accepted);
    EXPECT_EQ(store_->totp().find_totp(user_.id)->last_step, totp::time_step_at(now_));
    EXPECT_EQ(check(code), Kind::reused);
}

TEST_F(TotpServiceTest, RejectsEarlierStepAfterLaterOne) {
    service_->enable(user_.id, secret_);
    EXPECT_EQ(check(code_at(1)), Kind::accepted);
    EXPECT_EQ(check(code_at(0)), Kind::reused);
    EXPECT_EQ(check(code_at(-1)), Kind::reused);
}

TEST_F(TotpServiceTest, AcceptsStepsInOrder) {
    service_->enable(user_.id, secret_);
    EXPECT_EQ(check(code_at(-1)), Kind::accepted);
    EXPECT_EQ(check(code_at(0)), Kind::accepted);
    EXPECT_EQ(check(code_at(1)), Kind::accepted);
}

TEST_F(TotpServiceTest, RejectsMalformedAndRepeated) {
    service_->enable(user_.id, secret_);
    std::string code = code_at(0);
    EXPECT_EQ(check(code.substr(1)), Kind::invalid);
    EXPECT_EQ(check(code + "0"), Kind::invalid);
    EXPECT_EQ(service_->check(user_.id, {code, code}).kind, Kind::invalid);
    EXPECT_EQ(check(" " + code + " "), Kind::accepted);
}

TEST_F(TotpServiceTest, ThrottlesAfterFailuresEvenCorrectCode) {
    service_->enable(user_.id, secret_);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(check("000000"), Kind::invalid);
    }
    auto outcome = service_->check(user_.id, {code_at(0)});
    EXPECT_EQ(outcome.kind, Kind::throttled);
    EXPECT_EQ(outcome.retry_after, std::chrono::seconds(30));
    EXPECT_EQ(store_->totp().find_totp(user_.id)->last_step, -1);
}

TEST_F(TotpServiceTest, RecoveryCodeWorksOnce) {
    auto codes = service_->enable(user_.id, secret_);
    EXPECT_EQ(check(codes[3]), Kind::accepted);
    EXPECT_EQ(check(codes[3]), Kind::reused);
    EXPECT_EQ(store_->totp().find_totp(user_.id)->unused_recovery_codes, 9u);
    EXPECT_EQ(check("abcd-efgh-jkmn"), Kind::invalid);
}

TEST_F(TotpServiceTest, DisableRemovesEnrolment) {
    service_->enable(user_.id, secret_);
    EXPECT_TRUE(service_->disable(user_.id));
    EXPECT_FALSE(service_->disable(user_.id));
    EXPECT_EQ(service_->check(user_.id, {}).kind, Kind::not_enrolled);
    EXPECT_EQ(store_->find_user(user_.company_id, "bob")->credential_epoch, user_.credential_epoch + 2);
}

}  // namespace
}  // namespace openbar::auth
