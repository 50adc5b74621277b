"""Two-factor authentication: Basic with a password needs a TOTP code in
Custobar-TOTP-Code when the user has TOTP enabled; token credentials do not.
Codes come from pyotp and oathtool, independent of openbar's liboath code."""

import base64
import os
import sqlite3
import subprocess
import threading
import time

import pyotp

from harness import OpenbarTestCase, main

PASSWORD = "correct horse battery staple"
ACCESS_TOKEN_PATH = "/api/auth/access-token"


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def wait_for_fresh_step(margin=4.0):
    """Sleeps past the next 30-second step boundary when it is less than
    `margin` seconds away, so codes computed now keep their meaning while the
    server checks them."""
    remaining = 30 - time.time() % 30
    if remaining < margin:
        time.sleep(remaining + 0.2)


def parse_enable_output(text):
    secret = None
    uri = None
    recovery = []
    in_recovery = False
    for line in text.splitlines():
        if line.startswith("secret: "):
            secret = line[len("secret: "):]
        elif line.startswith("uri: "):
            uri = line[len("uri: "):]
        elif line.startswith("recovery codes"):
            in_recovery = True
        elif in_recovery and line.strip():
            recovery.append(line.strip())
    return secret, uri, recovery


class TotpTestCase(OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", PASSWORD)
        self.enable_output = self.openbar.cli("totp", "enable", "acme", "bob").stdout
        self.secret, self.uri, self.recovery_codes = parse_enable_output(self.enable_output)
        self.totp = pyotp.TOTP(self.secret)

    def call(self, code=None, password=PASSWORD, headers=None, username="bob"):
        pairs = [("Authorization", basic(username, password))]
        if code is not None:
            pairs.append(("Custobar-TOTP-Code", code))
        pairs.extend(headers or [])
        return self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme", headers=pairs)

    def assert_error(self, reply, status, code):
        self.assertEqual(reply.status, status, reply)
        self.assertEqual(reply.json()["error"]["code"], code, reply)


class EnableCommandTest(TotpTestCase):
    def test_prints_secret_uri_qr_and_recovery_codes(self):
        self.assertEqual(len(self.secret), 32)
        self.assertEqual(len(base64.b32decode(self.secret)), 20)
        self.assertTrue(self.uri.startswith("otpauth://totp/openbar:bob%40acme?"), self.uri)
        self.assertIn("secret=" + self.secret, self.uri)
        self.assertIn("issuer=openbar", self.uri)
        parsed = pyotp.parse_uri(self.uri)
        self.assertEqual(parsed.secret, self.secret)
        self.assertIn("\u2588", self.enable_output)
        self.assertEqual(len(self.recovery_codes), 10)
        self.assertEqual(len(set(self.recovery_codes)), 10)
        for code in self.recovery_codes:
            self.assertRegex(code, r"^[2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4}$")

    def test_status_and_disable(self):
        status = self.openbar.cli("totp", "status", "acme", "bob").stdout
        self.assertIn("TOTP enabled for user bob in company acme", status)
        self.assertIn("10 of 10 recovery codes unused", status)
        self.assertIn("TOTP disabled", self.openbar.cli("totp", "disable", "acme", "bob").stdout)
        self.assertIn("TOTP disabled", self.openbar.cli("totp", "status", "acme", "bob").stdout)
        self.assertIn("was not enabled", self.openbar.cli("totp", "disable", "acme", "bob").stdout)

    def test_enable_twice_is_rejected(self):
        result = self.openbar.cli("totp", "enable", "acme", "bob", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("already has TOTP enabled", result.stderr)
        self.assertEqual(result.stdout, "")

    def test_secret_option_is_normalized(self):
        self.openbar.create_user("acme", "carol", PASSWORD)
        given = "gezd gnbv gy3t qojq gezd gnbv gy3q ===="
        output = self.openbar.cli("totp", "enable", "acme", "carol", "--secret", given).stdout
        secret, _, _ = parse_enable_output(output)
        self.assertEqual(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3Q")

    def test_invalid_secret_rejected_without_echo(self):
        self.openbar.create_user("acme", "carol", PASSWORD)
        for bad in ["GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQG", "not base32!", "GEZDGNBV"]:
            result = self.openbar.cli("totp", "enable", "acme", "carol", "--secret", bad, check=False)
            self.assertEqual(result.returncode, 1, bad)
            self.assertIn("invalid --secret", result.stderr)
            self.assertNotIn(bad, result.stderr)
        self.assertIn("TOTP disabled", self.openbar.cli("totp", "status", "acme", "carol").stdout)

    def test_secret_is_not_stored_in_plain_text(self):
        raw = base64.b32decode(self.secret)
        with open(self.openbar.database, "rb") as database:
            content = database.read()
        for suffix in ("-wal",):
            path = self.openbar.database + suffix
            if os.path.exists(path):
                with open(path, "rb") as wal:
                    content += wal.read()
        self.assertNotIn(raw, content)
        self.assertNotIn(self.secret.encode(), content)
        for code in self.recovery_codes:
            self.assertNotIn(code.encode(), content)
            self.assertNotIn(code.replace("-", "").encode(), content)

    def test_enable_and_disable_bump_credential_epoch(self):
        def epoch():
            with sqlite3.connect(self.openbar.database) as connection:
                return connection.execute("SELECT credential_epoch FROM users WHERE username = 'bob'").fetchone()[0]

        before = epoch()
        self.openbar.cli("totp", "disable", "acme", "bob")
        self.assertEqual(epoch(), before + 1)
        self.openbar.cli("totp", "enable", "acme", "bob")
        self.assertEqual(epoch(), before + 2)


class TotpResponsesTest(TotpTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.start()

    def test_missing_code_asks_for_one(self):
        reply = self.call()
        self.assert_error(reply, 401, "totp_required")
        self.assertEqual(reply.header("Custobar-TOTP-Code"), "required")
        self.assertTrue(reply.headers.get("www-authenticate"))

    def test_current_code_accepted_once(self):
        wait_for_fresh_step()
        code = self.totp.now()
        reply = self.call(code)
        self.assertEqual(reply.status, 200, reply)
        self.assertTrue(reply.json()["token"].startswith("obar_"))
        self.assert_error(self.call(code), 401, "totp_reused")

    def test_wrong_password_looks_like_any_bad_credentials(self):
        wait_for_fresh_step()
        code = self.totp.now()
        plain = self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme",
                                     headers={"Authorization": basic("bob", "wrong")})
        for header in [None, code, "garbage", "000000"]:
            reply = self.call(header, password="wrong")
            self.assert_error(reply, 401, "authentication_failed")
            self.assertEqual(reply.body, plain.body)
            self.assertIsNone(reply.header("Custobar-TOTP-Code"))
        # The code was not used up by the attempts with a wrong password.
        self.assertEqual(self.call(code).status, 200)

    def test_adjacent_steps_accepted_and_two_steps_refused(self):
        wait_for_fresh_step()
        now = time.time()
        self.assert_error(self.call(self.totp.at(now - 60)), 401, "totp_invalid")
        self.assert_error(self.call(self.totp.at(now + 60)), 401, "totp_invalid")
        # Oldest first: each accepted step must be later than the last one.
        self.assertEqual(self.call(self.totp.at(now - 30)).status, 200)
        self.assertEqual(self.call(self.totp.at(now)).status, 200)
        self.assertEqual(self.call(self.totp.at(now + 30)).status, 200)

    def test_earlier_step_after_later_one_is_reused(self):
        wait_for_fresh_step()
        now = time.time()
        self.assertEqual(self.call(self.totp.at(now + 30)).status, 200)
        self.assert_error(self.call(self.totp.now()), 401, "totp_reused")
        self.assert_error(self.call(self.totp.at(now - 30)), 401, "totp_reused")

    def test_code_from_oathtool(self):
        wait_for_fresh_step()
        code = subprocess.run(["oathtool", "--totp", "--base32", self.secret], capture_output=True, text=True,
                              check=True).stdout.strip()
        self.assertEqual(self.call(code).status, 200)

    def test_header_name_in_any_case(self):
        wait_for_fresh_step()
        now = time.time()
        reply = self.call(headers=[("custobar-totp-code", self.totp.at(now - 30))])
        self.assertEqual(reply.status, 200, reply)
        reply = self.call(headers=[("CUSTOBAR-TOTP-CODE", self.totp.at(now))])
        self.assertEqual(reply.status, 200, reply)

    def test_recovery_codes_single_use(self):
        first, second = self.recovery_codes[0], self.recovery_codes[1]
        self.assertEqual(self.call(first).status, 200)
        self.assert_error(self.call(first), 401, "totp_reused")
        self.assertEqual(self.call(second.replace("-", "").upper()).status, 200)
        status = self.openbar.cli("totp", "status", "acme", "bob").stdout
        self.assertIn("8 of 10 recovery codes unused", status)
        self.assert_error(self.call("abcd-efgh-jkmn"), 401, "totp_invalid")

    def test_token_credentials_need_no_code(self):
        token = self.openbar.token("acme", "bob")
        reply = self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme",
                                     headers={"Authorization": "Token " + token})
        self.assertEqual(reply.status, 200, reply)
        reply = self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme",
                                     headers={"Authorization": basic("access-token", token)})
        self.assertEqual(reply.status, 200, reply)
        reply = self.openbar.curl("-u", "access-token:" + token, self.openbar.url("acme", ACCESS_TOKEN_PATH))
        self.assertEqual(reply.status, 200, reply)

    def test_disabled_totp_needs_no_code(self):
        self.openbar.cli("totp", "disable", "acme", "bob")
        self.assertEqual(self.call().status, 200)

    def test_curl_with_code(self):
        wait_for_fresh_step()
        reply = self.openbar.curl("-u", "bob:" + PASSWORD, "-H", "Custobar-TOTP-Code: " + self.totp.now(),
                                  self.openbar.url("acme", ACCESS_TOKEN_PATH))
        self.assertEqual(reply.status, 200, reply)

    def test_concurrent_requests_with_one_code(self):
        wait_for_fresh_step(margin=8)
        code = self.totp.now()
        barrier = threading.Barrier(2)
        replies = [None, None]

        def send(index):
            barrier.wait()
            replies[index] = self.call(code)

        threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(reply.status for reply in replies)
        self.assertEqual(statuses, [200, 401], replies)
        rejected = next(reply for reply in replies if reply.status == 401)
        self.assertEqual(rejected.json()["error"]["code"], "totp_reused")


class MalformedCodeTest(TotpTestCase):
    def setUp(self):
        super().setUp()
        # A high threshold, so the many rejected codes below do not lock bob out.
        self.openbar.start("--totp-lockout-failures", "100")

    def test_malformed_codes_never_match(self):
        wait_for_fresh_step(margin=8)
        code = self.totp.now()
        variants = [
            code[1:],                 # a digit dropped
            code + "0",               # one digit too many
            "+" + code[1:],           # a sign
            "-" + code[1:],
            code[:3] + " " + code[3:],
            code + "x",
            "",
        ]
        for variant in variants:
            self.assert_error(self.call(variant), 401, "totp_invalid")
        full_width = "".join(chr(0xFF10 + int(digit)) for digit in code).encode("utf-8")
        self.assert_error(self.call(full_width), 401, "totp_invalid")
        repeated = self.call(headers=[("Custobar-TOTP-Code", code), ("Custobar-TOTP-Code", code)])
        self.assert_error(repeated, 401, "totp_invalid")
        # None of the above used the code up; spaces around it are trimmed.
        self.assertEqual(self.call("  " + code + "  ").status, 200)


class TotpThrottleTest(TotpTestCase):
    def fail(self, times):
        for _ in range(times):
            self.assert_error(self.call("000000" if self.totp.now() != "000000" else "111111"), 401, "totp_invalid")

    def test_lockout_after_five_failures_blocks_correct_code(self):
        self.openbar.start()
        self.fail(5)
        wait_for_fresh_step()
        reply = self.call(self.totp.now())
        self.assert_error(reply, 429, "throttled")
        self.assertIn(reply.header("Retry-After"), ("29", "30"))
        # A missing code is not a code attempt, so it still gets totp_required.
        self.assert_error(self.call(), 401, "totp_required")
        # Token credentials of the same user are not blocked.
        token = self.openbar.token("acme", "bob")
        reply = self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme",
                                     headers={"Authorization": "Token " + token})
        self.assertEqual(reply.status, 200, reply)
        reply = self.openbar.request("GET", ACCESS_TOKEN_PATH, company="acme",
                                     headers={"Authorization": basic("access-token", token)})
        self.assertEqual(reply.status, 200, reply)

    def test_lockout_doubles_and_success_resets(self):
        self.openbar.start("--totp-first-lockout", "1", "--totp-max-lockout", "4")
        self.fail(5)
        reply = self.call("000000")
        self.assert_error(reply, 429, "throttled")
        self.assertEqual(reply.header("Retry-After"), "1")
        time.sleep(1.1)
        self.fail(1)
        self.assertEqual(self.call("000000").header("Retry-After"), "2")
        time.sleep(2.1)
        self.fail(1)
        self.assertEqual(self.call("000000").header("Retry-After"), "4")
        time.sleep(4.1)
        self.fail(1)
        self.assertEqual(self.call("000000").header("Retry-After"), "4")  # the maximum
        time.sleep(4.1)

        wait_for_fresh_step()
        self.assertEqual(self.call(self.totp.now()).status, 200)
        # The count starts again: four failures do not lock, the fifth does.
        self.fail(4)
        wait_for_fresh_step()
        self.assertEqual(self.call(self.totp.at(time.time() + 30)).status, 200)
        self.fail(5)
        self.assert_error(self.call("000000"), 429, "throttled")


if __name__ == "__main__":
    main()
