"""No password, token, Basic credential, TOTP secret or recovery code appears
in plain text (or, for Basic credentials, in base64) in the SQLite files or
the server log after a run that used them all."""

import base64
import glob
import hashlib
import hmac
import os
import re
import struct
import signal
import subprocess
import time

from harness import BINARY, OpenbarTestCase, main

PASSWORD = "Tr0ub4dor&3-plain-password"
WRONG_PASSWORD = "wrong-guess-password-42"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def totp_code(secret, unix_time, step=30, digits=6):
    """Computes an RFC 6238 code (HMAC-SHA-1, dynamic truncation of RFC 4226)."""
    counter = struct.pack(">Q", int(unix_time) // step)
    digest = hmac.new(secret, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


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
        # While the server runs, the write-ahead log contains the recent writes.
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
            self.skipTest("this build of openbar has no totp command, so there is no TOTP secret to look for")

        self.openbar.env["OPENBAR_LOG_LEVEL"] = "trace"
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "alice", PASSWORD)
        enabled = self.openbar.cli("totp", "enable", "acme", "alice").stdout
        secret_lines = [line for line in enabled.splitlines() if line.startswith("secret: ")]
        self.assertEqual(len(secret_lines), 1, enabled)
        secret_base32 = secret_lines[0][len("secret: "):].strip()
        secret = base64.b32decode(secret_base32.upper() + "=" * (-len(secret_base32) % 8))
        recovery_codes = re.findall(r"^  (\S+)$", enabled, re.M)
        self.openbar.start("--audit-flush-interval-ms", "50")

        code = totp_code(secret, time.time())
        reply = self.openbar.request("GET", "/api/auth/access-token", company="acme",
                                     headers={"Authorization": basic("alice", PASSWORD), "Custobar-TOTP-Code": code})
        self.assertEqual(reply.status, 200, reply)
        time.sleep(0.5)

        secrets = {"TOTP secret (base32)": secret_base32, "password": PASSWORD}
        for index, recovery_code in enumerate(recovery_codes):
            secrets[f"recovery code {index}"] = recovery_code
        self.scan(secrets, "while serving")
        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0)
        self.scan(secrets, "after shutdown")
        for path in glob.glob(self.openbar.database + "*"):
            with open(path, "rb") as file:
                self.assertNotIn(secret, file.read(), f"raw TOTP secret found in {os.path.basename(path)}")
        # A six-digit code could occur by chance in binary pages, so the code
        # is looked for only in text: the log and the audit rows.
        self.assertNotIn(code, self.openbar.server_log())
        self.assertNotIn(code, self.openbar.cli("audit", "list", "--json").stdout)

if __name__ == "__main__":
    main()
