"""The identity cache: the server keeps the token owners, users and current
tokens it read in memory. Changes made through openbar (the server or the
CLI, a separate process) take effect at once. Changes made to the database
by other means take effect after --identity-cache-ttl-ms."""

import base64
import os
import sqlite3
import stat
import time

from harness import TokenUserTestCase, main

TOKEN_PATH = "/api/auth/access-token/"
HOUR_MS = "3600000"


def basic(username, password):
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class IdentityCacheTest(TokenUserTestCase):
    start_server = False

    def status(self, authorization):
        return self.openbar.request("GET", TOKEN_PATH, company="acme",
                                    headers={"Authorization": authorization}).status

    def warm(self, *authorizations):
        # Several requests, so that every network thread has cached them.
        for authorization in authorizations:
            for _ in range(8):
                self.assertEqual(self.status(authorization), 200)

    def test_cli_changes_under_long_ttl(self):
        self.openbar.start("--identity-cache-ttl-ms", HOUR_MS, "--threads", "2")
        old = "Token " + self.token
        self.warm(old, basic("bob", "secret"), basic("access-token", self.token))

        self.openbar.cli("token", "rotate", "acme", "bob")
        new_token = self.openbar.token("acme", "bob")
        self.assertNotEqual(new_token, self.token)
        self.assertEqual(self.status(old), 401)
        self.assertEqual(self.status(basic("access-token", self.token)), 401)
        self.assertEqual(self.status("Token " + new_token), 200)
        reply = self.openbar.request("GET", TOKEN_PATH, company="acme",
                                     headers={"Authorization": basic("bob", "secret")})
        self.assertEqual(reply.status, 200)
        # A password login gets the current token, not the cached old one.
        self.assertEqual(reply.json()["token"], new_token)

        self.openbar.cli("user", "disable", "acme", "bob")
        self.assertEqual(self.status("Token " + new_token), 401)
        self.assertEqual(self.status(basic("bob", "secret")), 401)
        self.openbar.cli("user", "enable", "acme", "bob")
        self.assertEqual(self.status("Token " + new_token), 200)

        self.openbar.cli("user", "set-password", "acme", "bob", "--password-stdin", input="changed\n")
        self.assertEqual(self.status(basic("bob", "secret")), 401)
        self.assertEqual(self.status(basic("bob", "changed")), 200)

        self.openbar.cli("totp", "enable", "acme", "bob")
        reply = self.openbar.request("GET", TOKEN_PATH, company="acme",
                                     headers={"Authorization": basic("bob", "changed")})
        self.assertEqual((reply.status, reply.json()["error"]["code"]), (401, "totp_required"))

    def test_api_rotation_under_long_ttl(self):
        self.openbar.start("--identity-cache-ttl-ms", HOUR_MS, "--threads", "2")
        old = "Token " + self.token
        self.warm(old)
        reply = self.openbar.request("POST", "/api/auth/new-access-token/", company="acme",
                                     headers={"Authorization": old})
        self.assertEqual(reply.status, 200)
        new_token = reply.json()["token"]
        self.assertEqual(self.status(old), 401)
        self.assertEqual(self.status("Token " + new_token), 200)

    def disable_behind_openbars_back(self):
        # An SQL shell changes the row without telling openbar.
        with sqlite3.connect(self.openbar.database, timeout=10) as database:
            database.execute("UPDATE users SET active = 0 WHERE username = 'bob'")

    def test_outside_change_after_ttl(self):
        self.openbar.start("--identity-cache-ttl-ms", "300", "--threads", "1")
        authorization = "Token " + self.token
        self.warm(authorization)
        self.disable_behind_openbars_back()
        time.sleep(0.6)
        self.assertEqual(self.status(authorization), 401)

    def test_outside_change_within_ttl(self):
        # Shows that the cache is in use: the user is disabled in the
        # database, but the cached entry keeps it active until it expires.
        self.openbar.start("--identity-cache-ttl-ms", HOUR_MS, "--threads", "1")
        authorization = "Token " + self.token
        self.warm(authorization)
        self.disable_behind_openbars_back()
        self.assertEqual(self.status(authorization), 200)

    def test_zero_ttl_disables_cache(self):
        self.openbar.start("--identity-cache-ttl-ms", "0", "--threads", "1")
        authorization = "Token " + self.token
        self.warm(authorization)
        self.disable_behind_openbars_back()
        self.assertEqual(self.status(authorization), 401)

    def test_zero_max_entries_disables_cache(self):
        self.openbar.start("--identity-cache-max-entries", "0", "--threads", "1")
        authorization = "Token " + self.token
        self.warm(authorization)
        self.disable_behind_openbars_back()
        self.assertEqual(self.status(authorization), 401)

    def test_counter_file_mode(self):
        path = self.openbar.database + "-generation"
        self.assertTrue(os.path.exists(path))
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_invalid_cache_flags(self):
        for flag, value in (("--identity-cache-ttl-ms", "-1"), ("--identity-cache-ttl-ms", "3600001"),
                            ("--identity-cache-max-entries", "-5"), ("--identity-cache-ttl-ms", "soon")):
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", flag, value, check=False)
            self.assertNotEqual(result.returncode, 0, (flag, value))
            self.assertIn(flag, result.stderr)


if __name__ == "__main__":
    main()
