"""Audit log: rows for authentication decisions and credential changes,
batched writes flushed at shutdown, the queue limit, token last use,
retention and `openbar audit list`."""

import base64
import datetime
import json
import re
import signal
import sqlite3
import time

from harness import OpenbarTestCase, main

PASSWORD = "correct horse battery"
USER_AGENT = "audit-test/1.0"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def utc_text(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class AuditTest(OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "alice", PASSWORD)

    def get_token_endpoint(self, authorization=None):
        headers = {"User-Agent": USER_AGENT}
        if authorization is not None:
            headers["Authorization"] = authorization
        return self.openbar.request("GET", "/api/auth/access-token", company="acme", headers=headers)

    def audit_rows(self, *args):
        result = self.openbar.cli("audit", "list", "--json", *args)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def rows_of(self, rows, event):
        return [row for row in rows if row["event"] == event]

    def stop_cleanly(self):
        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0, self.openbar.server_log())

    def test_authentication_decisions_recorded(self):
        token = self.openbar.token("acme", "alice")
        self.openbar.start()

        self.assertEqual(self.get_token_endpoint().status, 401)
        self.assertEqual(self.get_token_endpoint(basic("alice", "wrong password")).status, 401)
        self.assertEqual(self.get_token_endpoint(basic("mallory", "anything")).status, 401)
        self.assertEqual(self.get_token_endpoint(basic("alice", PASSWORD)).status, 200)
        for _ in range(3):
            self.assertEqual(self.get_token_endpoint("Token " + token).status, 200)
        for _ in range(2):
            self.assertEqual(self.get_token_endpoint(basic("access-token", token)).status, 200)
        self.assertEqual(self.get_token_endpoint("Token obar_" + "A" * 40).status, 401)
        self.assertEqual(self.get_token_endpoint("Basic !!!").status, 401)
        self.stop_cleanly()

        rows = self.rows_of(self.audit_rows(), "authentication")
        failures = [row for row in rows if row["outcome"] == "failure"]
        summary = sorted((row["reason"], row["method"], row["username"]) for row in failures)
        self.assertEqual(summary, [
            ("authentication_failed", "basic", "alice"),
            ("authentication_failed", "basic", "mallory"),
            ("authentication_failed", "token", ""),
            ("malformed_credentials", "", ""),
            ("not_authenticated", "", ""),
        ])
        for row in failures:
            self.assertEqual(row["company"], "acme")
            self.assertEqual(row["client_address"], "127.0.0.1")
            self.assertEqual(row["user_agent"], USER_AGENT)
            self.assertEqual(row["count"], 1)
            self.assertIsNone(row["token_id"])

        successes = {row["method"]: row for row in rows if row["outcome"] == "success"}
        self.assertEqual(sorted(successes), ["access-token", "basic", "token"])
        self.assertEqual(successes["basic"]["count"], 1)
        self.assertIsNone(successes["basic"]["token_id"])
        # Token requests are folded into one row per token and minute; the
        # test may straddle a minute boundary, so sum the rows.
        token_rows = [row for row in rows if row["outcome"] == "success" and row["method"] == "token"]
        self.assertEqual(sum(row["count"] for row in token_rows), 3)
        self.assertLessEqual(len(token_rows), 2)
        access_rows = [row for row in rows if row["outcome"] == "success" and row["method"] == "access-token"]
        self.assertEqual(sum(row["count"] for row in access_rows), 2)
        for row in token_rows + access_rows:
            self.assertEqual(row["username"], "alice")
            self.assertIsInstance(row["token_id"], int)
            self.assertTrue(row["time"].endswith(":00Z"), row["time"])
            self.assertEqual(row["reason"], "")

    def test_http_rotation_recorded(self):
        token = self.openbar.token("acme", "alice")
        self.openbar.start()
        reply = self.openbar.request("POST", "/api/auth/new-access-token", company="acme",
                                     headers={"Authorization": "Token " + token, "User-Agent": USER_AGENT})
        self.assertEqual(reply.status, 200)
        self.stop_cleanly()

        rotated = self.rows_of(self.audit_rows(), "token_rotated")
        self.assertEqual(len(rotated), 1)
        self.assertEqual(rotated[0]["method"], "token")
        self.assertEqual(rotated[0]["username"], "alice")
        self.assertEqual(rotated[0]["client_address"], "127.0.0.1")
        self.assertEqual(rotated[0]["user_agent"], USER_AGENT)
        created = self.rows_of(self.audit_rows(), "token_created")
        self.assertEqual(len(created), 1, "only the CLI created a token")
        self.assertNotEqual(rotated[0]["token_id"], created[0]["token_id"])

    def test_http_token_creation_recorded(self):
        self.openbar.start()
        self.assertEqual(self.get_token_endpoint(basic("alice", PASSWORD)).status, 200)
        self.assertEqual(self.get_token_endpoint(basic("alice", PASSWORD)).status, 200)
        self.stop_cleanly()

        created = self.rows_of(self.audit_rows(), "token_created")
        self.assertEqual(len(created), 1)
        self.assertEqual(created[0]["method"], "basic")
        self.assertIsInstance(created[0]["token_id"], int)

    def test_cli_changes_recorded(self):
        self.openbar.cli("user", "set-password", "acme", "alice", "--password-stdin", input="another one\n")
        self.openbar.token("acme", "alice")
        self.openbar.token("acme", "alice")
        self.openbar.cli("token", "rotate", "acme", "alice")

        rows = self.audit_rows()
        self.assertEqual([row["event"] for row in rows],
                         ["user_created", "password_changed", "token_created", "token_rotated"])
        for row in rows:
            self.assertEqual(row["method"], "cli")
            self.assertEqual(row["outcome"], "success")
            self.assertEqual(row["company"], "acme")
            self.assertEqual(row["username"], "alice")
            self.assertEqual(row["client_address"], "")
        self.assertIsNone(rows[0]["token_id"])
        self.assertIsNone(rows[1]["token_id"])
        self.assertIsInstance(rows[2]["token_id"], int)
        self.assertNotEqual(rows[2]["token_id"], rows[3]["token_id"])

    def test_totp_changes_recorded(self):
        self.openbar.cli("totp", "enable", "acme", "alice")
        self.openbar.cli("totp", "disable", "acme", "alice")
        rows = self.audit_rows()
        self.assertEqual([row["event"] for row in rows], ["user_created", "totp_enabled", "totp_disabled"])
        for row in rows[1:]:
            self.assertEqual(row["username"], "alice")
            self.assertEqual(row["outcome"], "success")

    def test_password_lockout_recorded_once(self):
        self.openbar.start("--password-lockout-failures", "3")
        statuses = [self.get_token_endpoint(basic("alice", "wrong")).status for _ in range(5)]
        self.assertEqual(statuses, [401, 401, 401, 429, 429])
        self.stop_cleanly()
        started = self.rows_of(self.audit_rows(), "throttling_started")
        self.assertEqual(len(started), 1, started)
        self.assertEqual(started[0]["username"], "alice")
        self.assertEqual(started[0]["method"], "basic")
        self.assertEqual(started[0]["reason"], "password_failures")

    def test_sigterm_flushes_queued_rows(self):
        token = self.openbar.token("acme", "alice")
        # An hour between writes: only the shutdown write can store the rows.
        self.openbar.start("--audit-flush-interval-ms", "3600000")
        for _ in range(5):
            self.assertEqual(self.get_token_endpoint(basic("alice", "wrong")).status, 401)
        for _ in range(4):
            self.assertEqual(self.get_token_endpoint("Token " + token).status, 200)
        self.assertEqual(self.rows_of(self.audit_rows(), "authentication"), [])
        self.stop_cleanly()

        rows = self.rows_of(self.audit_rows(), "authentication")
        self.assertEqual(len([row for row in rows if row["outcome"] == "failure"]), 5)
        self.assertEqual(sum(row["count"] for row in rows if row["outcome"] == "success"), 4)
        self.assertIn("audit log flushed", self.openbar.server_log())

    def test_full_queue_drops_with_warning(self):
        self.openbar.start("--audit-flush-interval-ms", "3600000", "--audit-queue-limit", "2")
        for _ in range(5):
            self.assertEqual(self.get_token_endpoint(basic("alice", "wrong")).status, 401)
        self.stop_cleanly()

        rows = self.rows_of(self.audit_rows(), "authentication")
        self.assertEqual(len(rows), 2)
        self.assertIn("audit log dropped 3 entries", self.openbar.server_log())

    def test_token_show_prints_last_use(self):
        show_result = self.openbar.cli("token", "show", "acme", "alice")
        token = show_result.stdout.strip()
        self.assertEqual(show_result.stdout, token + "\n", "stdout holds the token alone")
        self.assertIn("last used: never\n", show_result.stderr)

        self.openbar.start("--audit-flush-interval-ms", "50")
        before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        self.assertEqual(self.get_token_endpoint("Token " + token).status, 200)

        deadline = time.monotonic() + 10
        while True:
            show_result = self.openbar.cli("token", "show", "acme", "alice")
            if "last used: never" not in show_result.stderr or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        after = datetime.datetime.now(datetime.timezone.utc)
        self.assertEqual(show_result.stdout, token + "\n")
        match = re.search(r"^last used: (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) from (\S+)$", show_result.stderr, re.M)
        self.assertIsNotNone(match, show_result.stderr)
        used_at = datetime.datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc)
        self.assertGreaterEqual(used_at, before)
        self.assertLessEqual(used_at, after)
        self.assertEqual(match.group(2), "127.0.0.1")

    def test_token_rotate_prints_token_only(self):
        rotated = self.openbar.cli("token", "rotate", "acme", "alice")
        self.assertRegex(rotated.stdout, r"^obar_\w+\n$")
        self.assertNotIn("last used", rotated.stderr)

    def insert_row(self, occurred_at, event="authentication", company_id=None):
        with sqlite3.connect(self.openbar.database) as connection:
            connection.execute(
                "INSERT INTO audit_events (occurred_at, event, company_id, outcome) VALUES (?, ?, ?, 'success')",
                (occurred_at, event, company_id))
        connection.close()

    def test_retention_deletes_old_rows_at_start(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.insert_row("2000-01-01T00:00:00Z", "ancient")
        self.insert_row(utc_text(now - datetime.timedelta(days=6)), "six_days_old")
        self.insert_row(utc_text(now - datetime.timedelta(days=4)), "four_days_old")
        self.openbar.start("--audit-retention-days", "5")
        events = [row["event"] for row in self.audit_rows()]
        self.assertNotIn("ancient", events)
        self.assertNotIn("six_days_old", events)
        self.assertIn("four_days_old", events)
        self.assertIn("user_created", events)
        self.assertIn("deleted 2 audit rows older than 5 days", self.openbar.server_log())

    def test_retention_default_is_ninety_days(self):
        now = datetime.datetime.now(datetime.timezone.utc)
        self.insert_row(utc_text(now - datetime.timedelta(days=91)), "ninety_one_days_old")
        self.insert_row(utc_text(now - datetime.timedelta(days=89)), "eighty_nine_days_old")
        self.openbar.start()
        events = [row["event"] for row in self.audit_rows()]
        self.assertNotIn("ninety_one_days_old", events)
        self.assertIn("eighty_nine_days_old", events)

    def test_audit_flags_validated(self):
        for flag, value in [("--audit-retention-days", "0"), ("--audit-retention-days", "many"),
                            ("--audit-flush-interval-ms", "5"), ("--audit-queue-limit", "0")]:
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", flag, value, check=False)
            self.assertNotEqual(result.returncode, 0, (flag, value))
            self.assertIn(flag, result.stderr)

    def test_list_filters_by_company_and_time(self):
        self.openbar.create_company("globex")
        self.openbar.create_user("globex", "bob", PASSWORD)
        self.insert_row("2026-01-01T12:00:00Z", "old_acme", 1)
        self.insert_row("2026-01-03T00:00:00Z", "new_acme", 1)

        acme = [row["event"] for row in self.audit_rows("--company", "acme")]
        self.assertEqual(sorted(acme), ["new_acme", "old_acme", "user_created"])
        globex = self.audit_rows("--company", "globex")
        self.assertEqual([(row["event"], row["username"]) for row in globex], [("user_created", "bob")])

        since_day = [row["event"] for row in self.audit_rows("--company", "acme", "--since", "2026-01-02")]
        self.assertEqual(sorted(since_day), ["new_acme", "user_created"])
        since_exact = [row["event"] for row in
                       self.audit_rows("--company", "acme", "--since", "2026-01-01T12:00:00Z")]
        self.assertEqual(sorted(since_exact), ["new_acme", "old_acme", "user_created"])
        since_minute = [row["event"] for row in self.audit_rows("--since", "2026-01-01T12:01")]
        self.assertNotIn("old_acme", since_minute)

    def test_list_rejects_bad_values(self):
        for bad in ["yesterday", "2026-02-30", "2026-12-04 20:00", "2026-12-04T25:00"]:
            result = self.openbar.cli("audit", "list", "--since", bad, check=False)
            self.assertEqual(result.returncode, 1, bad)
            self.assertIn(f"invalid --since '{bad}'", result.stderr)
            self.assertEqual(result.stdout, "")
        result = self.openbar.cli("audit", "list", "--company", "nosuch", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("company 'nosuch' not found", result.stderr)

    def test_list_table_output(self):
        result = self.openbar.cli("audit", "list")
        lines = result.stdout.splitlines()
        self.assertEqual(len(lines), 2)
        self.assertEqual(lines[0].split(), ["TIME", "EVENT", "OUTCOME", "REASON", "COMPANY", "USER", "TOKEN",
                                            "METHOD", "ADDRESS", "COUNT", "USER-AGENT"])
        self.assertEqual(lines[1].split()[1:], ["user_created", "success", "-", "acme", "alice", "-", "cli", "-",
                                                "1", "-"])

    def test_list_table_hides_control_characters(self):
        token = self.openbar.token("acme", "alice")
        self.openbar.start()
        # http.client sends header text as Latin-1, so these are single
        # bytes: E9 is "é" and 9B is the C1 control CSI, which some terminals
        # act on. The server cannot see C0 controls: it rejects those headers.
        reply = self.openbar.request("GET", "/api/auth/access-token", company="acme",
                                     headers={"Authorization": "Token " + token, "User-Agent": "caf\xe9 \x9b2J"})
        self.assertEqual(reply.status, 200)
        self.stop_cleanly()
        table = self.openbar.cli("audit", "list").stdout
        self.assertNotIn("\x9b", table)
        self.assertIn("café ?2J", table)
        rows = self.rows_of(self.audit_rows(), "authentication")
        self.assertEqual(rows[0]["user_agent"], "café \x9b2J")

if __name__ == "__main__":
    main()
