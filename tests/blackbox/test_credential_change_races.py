"""Credential changes against the identity cache, the change counter file and
Basic verifications in flight: each change made through openbar must apply
to the next request, however the database is named and whatever happens to
the counter file."""

import base64
import http.client
import os
import random
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

    def test_changes_under_concurrent_load(self):
        """Checks each request against the credentials of its moment.

        Both servers and the CLI rotate the token, disable and enable the
        user and change the password, while six clients send token, Basic
        access-token and password requests to both servers. A request sent
        after a change returned, with its response received before the next
        change started, must get the status that the credentials of that
        period call for."""
        limits = ("--identity-cache-ttl-ms", HOUR_MS, "--address-failure-limit", "100000",
                  "--password-lockout-failures", "1000")
        self.openbar.start("--threads", "3", *limits)
        other = Openbar(self.workdir)
        other.log_path = os.path.join(self.workdir, "other-server.log")
        other.start("--threads", "2", *limits)
        self.addCleanup(other.stop)
        servers = [self.openbar, other]

        state = {"token": self.token, "password": "secret", "active": True}
        tokens = [self.token]
        tokens_lock = threading.Lock()
        finished = threading.Event()
        responses = []

        def client(seed):
            chooser = random.Random(seed)
            connections = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=20) for server in servers]
            for _ in range(2000):
                if finished.is_set():
                    break
                index = chooser.randrange(len(servers))
                with tokens_lock:
                    token = chooser.choice(tokens[-3:])
                kind = chooser.choice(("token", "access-token", "password"))
                if kind == "token":
                    secret, authorization = token, "Token " + token
                elif kind == "access-token":
                    secret, authorization = token, basic("access-token", token)
                else:
                    secret = chooser.choice(("secret", "changed"))
                    authorization = basic("bob", secret)
                sent = time.monotonic()
                connections[index].request("GET", TOKEN_PATH, headers={"Host": servers[index].host("acme"),
                                                                       "Authorization": authorization})
                reply = connections[index].getresponse()
                reply.read()
                responses.append((sent, time.monotonic(), kind, secret, reply.status))
            for connection in connections:
                connection.close()

        clients = [threading.Thread(target=client, args=(seed,)) for seed in range(6)]
        for thread in clients:
            thread.start()

        # (start, end, credentials) of each period between two changes.
        periods = []
        period_start = time.monotonic()
        chooser = random.Random(1)
        deadline = time.monotonic() + 8
        for _ in range(25):
            if time.monotonic() > deadline:
                break
            time.sleep(chooser.uniform(0.05, 0.2))
            change = chooser.choice(("api rotation", "cli rotation", "disable", "enable", "password"))
            periods.append((period_start, time.monotonic(), dict(state)))
            if change == "api rotation":
                server = chooser.choice(servers)
                reply = server.request("POST", "/api/auth/new-access-token/", company="acme",
                                       headers={"Authorization": basic("bob", state["password"])})
                if reply.status == 200:
                    state["token"] = reply.json()["token"]
            elif change == "cli rotation":
                state["token"] = self.openbar.cli("token", "rotate", "acme", "bob").stdout.strip()
            elif change in ("disable", "enable"):
                self.openbar.cli("user", change, "acme", "bob")
                state["active"] = change == "enable"
            else:
                state["password"] = "changed" if state["password"] == "secret" else "secret"
                self.openbar.cli("user", "set-password", "acme", "bob", "--password-stdin",
                                 input=state["password"] + "\n")
            with tokens_lock:
                tokens.append(state["token"])
            period_start = time.monotonic()
        periods.append((period_start, float("inf"), dict(state)))
        time.sleep(0.2)
        finished.set()
        for thread in clients:
            thread.join(60)

        checked = 0
        wrong = []
        for sent, received, kind, secret, status in responses:
            for start, end, credentials in periods:
                if not (start < sent and received < end):
                    continue
                current = credentials["password"] if kind == "password" else credentials["token"]
                expected = 200 if credentials["active"] and secret == current else 401
                checked += 1
                if status != expected:
                    wrong.append((kind, status, expected, round(sent - start, 4)))
        self.assertGreater(checked, 0)
        self.assertEqual(wrong, [])

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
