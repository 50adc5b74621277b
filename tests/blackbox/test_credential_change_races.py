"""Credential changes against the identity cache, the change counter file and
Basic verifications in flight: each change made through openbar must apply
to the next request, however the database is named and whatever happens to
the counter file."""

import base64
import os
import sqlite3
import threading
import time

from harness import Openbar, TokenUserTestCase, main

TOKEN_PATH = "/api/auth/access-token/"
HOUR_MS = "3600000"
# Unknown-user logins that keep one hashing thread busy, so that a later
# login for bob waits in the queue while a credential changes. At an
# estimated 10 to 50 ms per argon2id hash they take 1.5 to 7.5 s, several
# times what the change takes.
QUEUE_FILLERS = 150


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class CredentialChangeRaceTest(TokenUserTestCase):
    start_server = False

    def status(self, openbar, authorization):
        return openbar.request("GET", TOKEN_PATH, company="acme", headers={"Authorization": authorization}).status

    def warm(self, openbar, authorization):
        for _ in range(4):
            self.assertEqual(self.status(openbar, authorization), 200)

    def server_at(self, database_url):
        # A second server process on the same database, reached through
        # another name for it.
        other = Openbar(self.workdir)
        other.log_path = os.path.join(self.workdir, "other-server.log")
        other.env = dict(self.openbar.env, OPENBAR_DATABASE=database_url,
                         OPENBAR_KEY_FILE=self.openbar.database + ".key")
        other.start("--identity-cache-ttl-ms", HOUR_MS, "--threads", "1")
        self.addCleanup(other.stop)
        return other

    def test_rotation_reaches_server_on_symlinked_database(self):
        link = os.path.join(self.workdir, "link.db")
        os.symlink(self.openbar.database, link)
        server = self.server_at("sqlite:" + link)
        self.warm(server, "Token " + self.token)

        self.openbar.cli("token", "rotate", "acme", "bob")

        self.assertEqual(self.status(server, "Token " + self.token), 401)

    def test_rotation_reaches_server_on_database_uri(self):
        server = self.server_at("sqlite:file:" + self.openbar.database)
        self.warm(server, "Token " + self.token)

        self.openbar.cli("token", "rotate", "acme", "bob")

        self.assertEqual(self.status(server, "Token " + self.token), 401)

    def test_rotation_after_counter_file_deleted(self):
        self.openbar.start("--identity-cache-ttl-ms", HOUR_MS, "--threads", "1")
        self.warm(self.openbar, "Token " + self.token)
        os.unlink(self.openbar.database + "-generation")

        self.openbar.cli("token", "rotate", "acme", "bob")

        self.assertEqual(self.status(self.openbar, "Token " + self.token), 401)

    def test_truncated_counter_file_keeps_server_up(self):
        self.openbar.start("--threads", "1")
        self.warm(self.openbar, "Token " + self.token)
        os.truncate(self.openbar.database + "-generation", 0)

        try:
            status = self.status(self.openbar, "Token " + self.token)
        except OSError as error:
            status = error
        self.assertIsNone(self.openbar.process.poll(), "the server exited: " + self.openbar.server_log()[-500:])
        self.assertEqual(status, 200)

    def test_recreated_user_rejects_old_password(self):
        self.openbar.start("--threads", "1")
        self.warm(self.openbar, basic("bob", "secret"))
        # openbar has no command to delete a user, so an SQL shell does it.
        # SQLite gives the next user the deleted user's id again.
        with sqlite3.connect(self.openbar.database, timeout=10) as database:
            database.execute("DELETE FROM access_tokens")
            database.execute("DELETE FROM users WHERE username = 'bob'")

        self.openbar.create_user("acme", "bob", "new secret")

        self.assertEqual(self.status(self.openbar, basic("bob", "secret")), 401)
        self.assertEqual(self.status(self.openbar, basic("bob", "new secret")), 200)

    def change_during_verification(self, change):
        """Runs `change` while bob's password login waits for a hashing
        thread, then returns the status of a login with the same
        credentials sent after `change` returned."""
        self.openbar.start("--hash-threads", "1", "--threads", "2", "--address-failure-limit", "1000")
        statuses = {}

        def login(name, authorization):
            statuses[name] = self.status(self.openbar, authorization)

        threads = [threading.Thread(target=login, args=(f"filler {i}", basic(f"nobody{i}", "wrong")))
                   for i in range(QUEUE_FILLERS)]
        for thread in threads:
            thread.start()
        time.sleep(0.1)
        first = threading.Thread(target=login, args=("first", basic("bob", "secret")))
        first.start()
        time.sleep(0.1)

        change()
        after_change = threading.Thread(target=login, args=("after change", basic("bob", "secret")))
        after_change.start()
        for thread in threads + [first, after_change]:
            thread.join(60)
        return statuses["after change"]

    def test_disable_during_password_verification(self):
        status = self.change_during_verification(lambda: self.openbar.cli("user", "disable", "acme", "bob"))
        self.assertEqual(status, 401)

    def test_enable_during_password_verification(self):
        self.openbar.cli("user", "disable", "acme", "bob")
        status = self.change_during_verification(lambda: self.openbar.cli("user", "enable", "acme", "bob"))
        self.assertEqual(status, 200)

    def test_password_change_during_verification(self):
        status = self.change_during_verification(
            lambda: self.openbar.cli("user", "set-password", "acme", "bob", "--password-stdin", input="changed\n"))
        self.assertEqual(status, 401)


if __name__ == "__main__":
    main()
