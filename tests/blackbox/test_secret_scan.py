"""No password, token or Basic credential appears in plain text (or as its
base64 Basic form) in the SQLite files or the server log after a run that
used them all."""

import base64
import glob
import os
import signal
import subprocess
import time

from harness import BINARY, OpenbarTestCase, main

PASSWORD = "Tr0ub4dor&3-plain-password"
WRONG_PASSWORD = "wrong-guess-password-42"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class SecretScanTest(OpenbarTestCase):
    def scan(self, secrets, when):
        paths = glob.glob(self.openbar.database + "*") + [self.openbar.log_path]
        paths = [path for path in paths if not path.endswith(".key")]
        self.assertIn(self.openbar.database, paths)
        for path in paths:
            with open(path, "rb") as file:
                content = file.read()
            for name, secret in secrets.items():
                self.assertNotIn(secret.encode(), content, f"{name} found in {os.path.basename(path)} {when}")

    def test_no_secret_in_database_or_log(self):
        self.openbar.env["OPENBAR_LOG_LEVEL"] = "trace"
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "alice", PASSWORD)
        first_token = self.openbar.token("acme", "alice")
        self.openbar.start("--audit-flush-interval-ms", "50")

        def get(authorization):
            return self.openbar.request("GET", "/api/auth/access-token", company="acme",
                                        headers={"Authorization": authorization})

        self.assertEqual(get("Token " + first_token).status, 200)
        self.assertEqual(get("Bearer " + first_token).status, 200)
        self.assertEqual(get(basic("access-token", first_token)).status, 200)
        self.assertEqual(get(basic("alice", PASSWORD)).status, 200)
        self.assertEqual(get(basic("alice", WRONG_PASSWORD)).status, 401)
        rotated = self.openbar.request("POST", "/api/auth/new-access-token", company="acme",
                                       headers={"Authorization": basic("alice", PASSWORD)})
        self.assertEqual(rotated.status, 200)
        second_token = rotated.json()["token"]
        self.assertEqual(get("Token " + second_token).status, 200)
        self.assertEqual(get("Token " + first_token).status, 401)
        self.openbar.cli("user", "set-password", "acme", "alice", "--password-stdin", input=PASSWORD + "-new\n")

        secrets = {
            "password": PASSWORD,
            "new password": PASSWORD + "-new",
            "wrong password": WRONG_PASSWORD,
            "first token": first_token,
            "second token": second_token,
            "first token body": first_token[len("obar_"):],
            "Basic password credentials": basic("alice", PASSWORD)[len("Basic "):],
            "Basic wrong credentials": basic("alice", WRONG_PASSWORD)[len("Basic "):],
            "Basic token credentials": basic("access-token", first_token)[len("Basic "):],
        }
        # While the server runs the write-ahead log holds the recent writes.
        time.sleep(0.5)
        self.assertTrue(os.path.exists(self.openbar.database + "-wal"))
        self.scan(secrets, "while serving")

        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0)
        self.scan(secrets, "after shutdown")
        # The run did reach the audit log, so the scan covered real rows.
        audit = self.openbar.cli("audit", "list", "--json").stdout
        self.assertIn('"reason":"authentication_failed"', audit)
        self.assertIn('"event":"token_rotated"', audit)

    def test_no_totp_secret_in_database_or_log(self):
        commands = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=60).stdout
        if "totp" not in commands:
            self.skipTest("openbar has no totp command in this build, so there is no TOTP secret to look for")
        # NOTE: written before the TOTP commands existed; once they do, this
        # test must enable TOTP for a user, log in with a code and scan for the
        # secret as the test above does for passwords.
        self.fail("openbar has TOTP commands now: extend this test to enable TOTP and scan for the secret")


if __name__ == "__main__":
    main()
