"""Basic username-and-password authentication: throttling of failed
passwords (per account and per client address), the in-memory verification
cache, single hashing for concurrent identical requests, and 503 when the
hashing queue is full. Hash work is observed through GET /metrics."""

import base64
import threading
import time

import pyotp

from harness import OpenbarTestCase, main

PASSWORD = "correct horse battery staple"
PATH = "/api/auth/access-token"


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class PasswordAuthTestCase(OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", PASSWORD)

    def login(self, username="bob", password=PASSWORD, code=None):
        headers = [("Authorization", basic(username, password))]
        if code is not None:
            headers.append(("Custobar-TOTP-Code", code))
        return self.openbar.request("GET", PATH, company="acme", headers=headers)

    def token_login(self, token):
        return self.openbar.request("GET", PATH, company="acme", headers={"Authorization": "Token " + token})

    def metrics(self):
        reply = self.openbar.request("GET", "/metrics", host="localhost")
        self.assertEqual(reply.status, 200, reply)
        values = {}
        for line in reply.body.splitlines():
            if line and not line.startswith("#"):
                name, value = line.split(" ")
                values[name] = int(value)
        return values

    def hashes(self):
        return self.metrics()["openbar_password_hash_verifications_total"]

    def assert_error(self, reply, status, code):
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.json()["error"]["code"], code, reply)


class AccountThrottleTest(PasswordAuthTestCase):
    def test_locks_after_ten_failures(self):
        self.openbar.start()
        token = self.openbar.token("acme", "bob")
        for _ in range(10):
            self.assert_error(self.login(password="wrong"), 401, "authentication_failed")
        reply = self.login()
        self.assert_error(reply, 429, "throttled")
        self.assertEqual(reply.header("Retry-After"), "1")
        # Token credentials of the locked user keep working.
        self.assertEqual(self.token_login(token).status, 200)
        reply = self.openbar.request("GET", PATH, company="acme",
                                     headers={"Authorization": basic("access-token", token)})
        self.assertEqual(reply.status, 200, reply)
        # Another account is not affected.
        self.openbar.create_user("acme", "carol", PASSWORD)
        self.assertEqual(self.login("carol").status, 200)

        time.sleep(1.1)
        self.assertEqual(self.login().status, 200)
        # The success reset the count: nine failures do not lock.
        for _ in range(9):
            self.assert_error(self.login(password="wrong"), 401, "authentication_failed")
        self.assertEqual(self.login().status, 200)

    def test_lockout_doubles_up_to_maximum(self):
        self.openbar.start("--password-lockout-failures", "2", "--password-first-lockout", "1",
                           "--password-max-lockout", "4")
        self.login(password="wrong")
        self.login(password="wrong")
        retry_after = [self.login().header("Retry-After")]
        for wait in (1.1, 2.1, 4.1):
            time.sleep(wait)
            self.assert_error(self.login(password="wrong"), 401, "authentication_failed")
            reply = self.login()
            self.assert_error(reply, 429, "throttled")
            retry_after.append(reply.header("Retry-After"))
        self.assertEqual(retry_after, ["1", "2", "4", "4"])

    def test_throttled_attempt_runs_no_hash(self):
        self.openbar.start("--password-lockout-failures", "2", "--password-first-lockout", "60")
        self.login(password="wrong")
        self.login(password="wrong")
        before = self.metrics()
        self.assert_error(self.login(password="wrong"), 429, "throttled")
        after = self.metrics()
        self.assertEqual(after["openbar_password_hash_verifications_total"],
                         before["openbar_password_hash_verifications_total"])
        self.assertEqual(after["openbar_password_throttled_total"], before["openbar_password_throttled_total"] + 1)

    def test_unknown_and_known_users_look_alike(self):
        self.openbar.start("--password-lockout-failures", "3")
        seen = {}
        for username in ("bob", "nobody"):
            replies = []
            for _ in range(4):
                before = self.hashes()
                reply = self.login(username, "wrong")
                hashed = self.hashes() - before
                replies.append((reply.status, reply.body, reply.header("Retry-After"),
                                reply.headers.get("www-authenticate"), hashed))
            seen[username] = replies
        self.assertEqual(seen["bob"], seen["nobody"])
        self.assertEqual([entry[0] for entry in seen["bob"]], [401, 401, 401, 429])
        # Every verified attempt ran one hash, for the unknown user too.
        self.assertEqual([entry[4] for entry in seen["bob"]], [1, 1, 1, 0])


class AddressThrottleTest(PasswordAuthTestCase):
    def test_address_limit_counts_failures_across_accounts(self):
        self.openbar.start("--address-failure-limit", "3", "--address-failure-window", "600")
        token = self.openbar.token("acme", "bob")
        for index in range(3):
            self.assert_error(self.login(f"user{index}", "wrong"), 401, "authentication_failed")
        # Three failures are not more than the limit.
        self.assertEqual(self.login().status, 200)
        self.assert_error(self.login("user3", "wrong"), 401, "authentication_failed")
        reply = self.login()
        self.assert_error(reply, 429, "throttled")
        self.assertIn(int(reply.header("Retry-After")), range(590, 601))
        self.assertEqual(self.token_login(token).status, 200)

    def test_window_expires(self):
        self.openbar.start("--address-failure-limit", "1", "--address-failure-window", "2")
        self.login("user1", "wrong")
        self.login("user2", "wrong")
        reply = self.login()
        self.assert_error(reply, 429, "throttled")
        self.assertIn(reply.header("Retry-After"), ("1", "2"))
        time.sleep(2.1)
        self.assertEqual(self.login().status, 200)


class VerificationCacheTest(PasswordAuthTestCase):
    def test_second_request_runs_no_hash(self):
        self.openbar.start()
        start = self.metrics()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.hashes(), start["openbar_password_hash_verifications_total"] + 1)
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.login().status, 200)
        end = self.metrics()
        self.assertEqual(end["openbar_password_hash_verifications_total"],
                         start["openbar_password_hash_verifications_total"] + 1)
        self.assertEqual(end["openbar_basic_cache_hits_total"], start["openbar_basic_cache_hits_total"] + 2)

    def test_other_password_is_verified(self):
        self.openbar.start()
        self.assertEqual(self.login().status, 200)
        before = self.hashes()
        self.assert_error(self.login(password=PASSWORD + "x"), 401, "authentication_failed")
        self.assertEqual(self.hashes(), before + 1)

    def test_password_change_invalidates(self):
        self.openbar.start()
        self.assertEqual(self.login().status, 200)
        self.openbar.cli("user", "set-password", "acme", "bob", "--password-stdin", input="new secret\n")
        before = self.hashes()
        self.assert_error(self.login(), 401, "authentication_failed")
        self.assertEqual(self.hashes(), before + 1)
        self.assertEqual(self.login(password="new secret").status, 200)

    def test_user_disable_invalidates(self):
        self.openbar.start()
        token = self.openbar.token("acme", "bob")
        self.assertEqual(self.login().status, 200)
        self.openbar.cli("user", "disable", "acme", "bob")
        self.assert_error(self.login(), 401, "authentication_failed")
        self.assert_error(self.token_login(token), 401, "authentication_failed")
        self.openbar.cli("user", "enable", "acme", "bob")
        before = self.hashes()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.hashes(), before + 1)

    def test_totp_enable_invalidates(self):
        self.openbar.start()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.login().status, 200)
        self.openbar.cli("totp", "enable", "acme", "bob")
        reply = self.login()
        self.assert_error(reply, 401, "totp_required")
        self.assertEqual(reply.header("Custobar-TOTP-Code"), "required")

    def test_totp_disable_invalidates(self):
        output = self.openbar.cli("totp", "enable", "acme", "bob").stdout
        secret = next(line[len("secret: "):] for line in output.splitlines() if line.startswith("secret: "))
        self.openbar.start()
        self.assertEqual(self.login(code=pyotp.TOTP(secret).now()).status, 200)
        self.openbar.cli("totp", "disable", "acme", "bob")
        before = self.hashes()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.hashes(), before + 1)

    def test_totp_checked_on_cached_requests(self):
        output = self.openbar.cli("totp", "enable", "acme", "bob").stdout
        secret = next(line[len("secret: "):] for line in output.splitlines() if line.startswith("secret: "))
        totp = pyotp.TOTP(secret)
        self.openbar.start()
        remaining = 30 - time.time() % 30
        if remaining < 4:
            time.sleep(remaining + 0.2)
        now = time.time()
        self.assertEqual(self.login(code=totp.at(now)).status, 200)
        before = self.hashes()
        self.assert_error(self.login(), 401, "totp_required")
        self.assert_error(self.login(code=totp.at(now)), 401, "totp_reused")
        self.assertEqual(self.login(code=totp.at(now + 30)).status, 200)
        self.assertEqual(self.hashes(), before)

    def test_ttl_expires(self):
        self.openbar.start("--basic-cache-ttl", "1")
        self.assertEqual(self.login().status, 200)
        time.sleep(1.1)
        before = self.hashes()
        self.assertEqual(self.login().status, 200)
        self.assertEqual(self.hashes(), before + 1)

    def test_cache_off(self):
        for flags in (("--basic-cache-ttl", "0"), ("--basic-cache-max-entries", "0")):
            self.openbar.stop()
            self.openbar.start(*flags)
            before = self.hashes()
            self.assertEqual(self.login().status, 200)
            self.assertEqual(self.login().status, 200)
            self.assertEqual(self.hashes(), before + 2, flags)

    def test_concurrent_first_requests_hash_once(self):
        self.openbar.start()
        before = self.hashes()
        barrier = threading.Barrier(8)
        statuses = []

        def send():
            barrier.wait()
            statuses.append(self.login().status)

        threads = [threading.Thread(target=send) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(statuses, [200] * 8)
        self.assertEqual(self.hashes(), before + 1)


class HashQueueTest(PasswordAuthTestCase):
    def test_full_queue_answers_503(self):
        self.openbar.start("--hash-threads", "1", "--hash-queue-limit", "1", "--basic-cache-ttl", "0")
        barrier = threading.Barrier(12)
        replies = []

        def send(index):
            barrier.wait()
            # Distinct usernames: no shared verification, no account lockout.
            replies.append(self.login(f"user{index}", "wrong"))

        threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(reply.status for reply in replies)
        self.assertIn(503, statuses)
        self.assertTrue(set(statuses) <= {401, 503}, statuses)
        busy = next(reply for reply in replies if reply.status == 503)
        self.assertEqual(busy.json()["error"]["code"], "overloaded")
        self.assertEqual(busy.header("Retry-After"), "1")


class LimitFlagsTest(PasswordAuthTestCase):
    def test_invalid_values_rejected_at_start(self):
        cases = [
            ("--password-lockout-failures", "0"), ("--password-first-lockout", "0"),
            ("--password-max-lockout", "-5"), ("--address-failure-limit", "0"),
            ("--address-failure-window", "0"), ("--basic-cache-ttl", "-1"),
            ("--basic-cache-max-entries", "x"), ("--totp-lockout-failures", "0"),
            ("--totp-first-lockout", "0"), ("--totp-max-lockout", "100000"),
            ("--throttle-max-tracked-keys", "1"),
        ]
        for flag, value in cases:
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", flag, value, check=False)
            self.assertEqual(result.returncode, 2, flag)
            self.assertIn(flag, result.stderr, flag)


class MetricsTest(PasswordAuthTestCase):
    def test_metrics_on_any_host_without_credentials(self):
        self.openbar.start()
        for host in ("localhost", self.openbar.host("acme")):
            reply = self.openbar.request("GET", "/metrics", host=host)
            self.assertEqual(reply.status, 200, reply)
            self.assertTrue(reply.header("Content-Type").startswith("text/plain"))
            self.assertIn("# TYPE openbar_password_hash_verifications_total counter", reply.body)
            self.assertNotIn("bob", reply.body)


if __name__ == "__main__":
    main()
