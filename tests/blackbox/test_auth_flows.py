"""Black-box tests of the Custobar authentication flows against the real binary."""

import base64
import json
import os
import signal
import socket
import sqlite3
import stat
import threading
import time

import harness

PASSWORD = "pAss:w0rd"


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


class AuthFlowTest(harness.OpenbarTestCase):
    def setUp(self):
        super().setUp()
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", PASSWORD)
        self.openbar.start()
        self.base = self.openbar.url("acme", "")

    def write_customers(self, records):
        path = os.path.join(self.workdir, "customers.json")
        with open(path, "w") as out:
            json.dump({"customers": records}, out)
        return path

    def assert_challenge(self, reply, code):
        self.assertEqual(reply.status, 401, reply)
        self.assertEqual(reply.json()["error"]["code"], code)
        self.assertEqual(reply.headers["www-authenticate"],
                         ['Basic realm="acme", charset="UTF-8"', 'Token realm="acme"'])

    def test_spec_flow_with_curl(self):
        # Acquire the token with Basic auth, the first step of the Custobar token flow.
        reply = self.openbar.curl("-X", "GET", "-u", f"bob:{PASSWORD}", self.base + "/api/auth/access-token/")
        self.assertEqual(reply.status, 200, reply)
        token = reply.json()["token"]
        self.assertEqual(list(reply.json().keys()), ["token"])
        self.assertTrue(token.startswith("obar_"))

        # The same token is returned on every later request.
        again = self.openbar.curl("-u", f"bob:{PASSWORD}", self.base + "/api/auth/access-token/")
        self.assertEqual(again.json()["token"], token)
        self.assertEqual(self.openbar.token("acme", "bob"), token)

        # Upload customers with the token.
        path = self.write_customers([{"external_id": "c1", "first_name": "Ada"}])
        reply = self.openbar.curl("-X", "POST", "-H", "Content-Type: application/json", "-H",
                                  f"Authorization: Token {token}", "--data-binary", "@" + path,
                                  self.base + "/api/customers/upload/")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["response"], "ok")

        # Basic auth with the user "access-token" and the token as password.
        reply = self.openbar.curl("-u", f"access-token:{token}", self.base + "/api/auth/access-token/")
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json()["token"], token)

        # Rotation: the new token works, the old one fails on both token paths.
        reply = self.openbar.curl("-X", "POST", "-u", f"bob:{PASSWORD}", self.base + "/api/auth/new-access-token/")
        self.assertEqual(reply.status, 200, reply)
        new_token = reply.json()["token"]
        self.assertNotEqual(new_token, token)
        self.assert_challenge(
            self.openbar.curl("-H", f"Authorization: Token {token}", self.base + "/api/auth/access-token/"),
            "authentication_failed")
        self.assert_challenge(self.openbar.curl("-u", f"access-token:{token}", self.base + "/api/auth/access-token/"),
                              "authentication_failed")
        reply = self.openbar.curl("-H", f"Authorization: Token {new_token}", self.base + "/api/auth/access-token/")
        self.assertEqual(reply.json()["token"], new_token)
        reply = self.openbar.curl("-u", f"access-token:{new_token}", self.base + "/api/auth/access-token")
        self.assertEqual(reply.status, 200)

    def test_upload_merges_into_stored_record(self):
        token = self.openbar.token("acme", "bob")
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
        first = {"customers": [{"external_id": "c1", "first_name": "Ada", "city": "Turku"}]}
        reply = self.openbar.request("POST", "/api/customers/upload/", "acme", headers=headers, body=json.dumps(first))
        self.assertEqual(reply.status, 200, reply)
        self.assertEqual(reply.json(), {"response": "ok", "created": 1, "updated": 0})
        second = {"customers": [{"external_id": "c1", "last_name": "Lovelace", "city": ""}]}
        reply = self.openbar.request("POST", "/api/customers/upload", "acme", headers=headers, body=json.dumps(second))
        self.assertEqual(reply.json(), {"response": "ok", "created": 0, "updated": 1})

        stored = self.stored_records("customers")
        self.assertEqual(stored, {"c1": {"external_id": "c1", "first_name": "Ada", "last_name": "Lovelace"}})

    def stored_records(self, record_type):
        """Reads the database directly, because some tests call this after the server stopped."""
        type_numbers = {"customers": 1, "products": 2, "sales": 3, "events": 4, "shops": 5}
        with sqlite3.connect(self.openbar.database) as db:
            rows = db.execute("SELECT data FROM data_records WHERE type = ? ORDER BY seq",
                              (type_numbers[record_type],)).fetchall()
        records = [json.loads(data) for (data,) in rows]
        return {record["external_id"]: record for record in records}

    def test_failures_look_the_same(self):
        token = self.openbar.token("acme", "bob")
        bad_token = token[:-7] + ("A" if token[-7] != "A" else "B") + token[-6:]
        replies = [
            self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                 headers={"Authorization": basic("bob", "wrong")}),
            self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                 headers={"Authorization": basic("nobody", PASSWORD)}),
            self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                 headers={"Authorization": "Token obar_" + "A" * 38}),
            self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                 headers={"Authorization": f"Token {bad_token}"}),
            self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                 headers={"Authorization": basic("access-token", "obar_wrong")}),
        ]
        for reply in replies:
            self.assert_challenge(reply, "authentication_failed")
            self.assertEqual(reply.body, replies[0].body)
        for reply in replies:
            self.assertNotIn(PASSWORD, reply.body)
            self.assertNotIn(token, reply.body)

    def test_missing_and_malformed_credentials(self):
        self.assert_challenge(self.openbar.request("GET", "/api/auth/access-token/", "acme"), "not_authenticated")
        for value in ["Basic !!!", "Basic Ym9i", "Token", "Token a b", "Digest x=1", "Basic " + "A" * 4000,
                      "\xff\xfe", "Bearer"]:
            reply = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": value})
            self.assertIn(reply.status, (400, 401), (value, reply))
            self.assertIn("error", reply.json())

    def test_two_authorization_headers(self):
        token = self.openbar.token("acme", "bob")
        reply = self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                     headers=[("Authorization", f"Token {token}"),
                                              ("Authorization", basic("bob", PASSWORD))])
        self.assertEqual(reply.status, 400)
        self.assertEqual(reply.json()["error"]["code"], "duplicate_authorization")

    def test_token_scheme_variants(self):
        token = self.openbar.token("acme", "bob")
        for value in [f"Token {token}", f"token {token}", f"TOKEN   {token}", f"Bearer {token}"]:
            reply = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": value})
            self.assertEqual(reply.status, 200, value)
        reply = self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                     headers={"Authorization": f"Token {token.upper()}"})
        self.assertEqual(reply.status, 401)

    def test_passwords_in_utf8_and_latin1(self):
        self.openbar.cli("user", "create", "acme", "jörg", "--password-stdin", input="pä:ss\n")
        utf8 = "Basic " + base64.b64encode("jörg:pä:ss".encode("utf-8")).decode()
        latin1 = "Basic " + base64.b64encode("jörg:pä:ss".encode("latin-1")).decode()
        for value in (utf8, latin1):
            reply = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": value})
            self.assertEqual(reply.status, 200, reply)

    def test_tenant_resolution(self):
        token = self.openbar.token("acme", "bob")
        auth = {"Authorization": f"Token {token}"}
        port = self.openbar.port
        # A request without Host gets 400 missing_host (test_http_limits).
        for host in [f"localhost:{port}", f"127.0.0.1:{port}", f"nosuch.localhost:{port}", f"a.acme.localhost:{port}"]:
            reply = self.openbar.request("GET", "/api/auth/access-token/", host=host, headers=auth)
            self.assertEqual(reply.status, 404, host)
            self.assertEqual(reply.json()["error"]["code"], "unknown_company")
            self.assertNotIn("www-authenticate", reply.headers)
        for host in [f"ACME.LOCALHOST:{port}", f"acme.localhost.:{port}", "acme.localhost"]:
            reply = self.openbar.request("GET", "/api/auth/access-token/", host=host, headers=auth)
            self.assertEqual(reply.status, 200, host)
        # X-Forwarded-Host never selects the tenant.
        reply = self.openbar.request("GET", "/api/auth/access-token/", host=f"localhost:{port}",
                                     headers={**auth, "X-Forwarded-Host": f"acme.localhost:{port}"})
        self.assertEqual(reply.status, 404)

    def test_tokens_are_bound_to_their_company(self):
        self.openbar.create_company("other")
        self.openbar.create_user("other", "bob", PASSWORD)
        token = self.openbar.token("acme", "bob")
        reply = self.openbar.request("GET", "/api/auth/access-token/", "other",
                                     headers={"Authorization": f"Token {token}"})
        self.assertEqual(reply.status, 401)
        self.assertEqual(reply.headers["www-authenticate"][1], 'Token realm="other"')

    def test_routes_methods_and_paths(self):
        token = self.openbar.token("acme", "bob")
        auth = {"Authorization": f"Token {token}"}
        reply = self.openbar.request("DELETE", "/api/auth/access-token/", "acme", headers=auth)
        self.assertEqual(reply.status, 405)
        self.assertEqual(reply.header("allow"), "GET")
        reply = self.openbar.request("GET", "/api/auth/new-access-token", "acme", headers=auth)
        self.assertEqual(reply.status, 405)
        self.assertEqual(reply.header("allow"), "POST")
        reply = self.openbar.request("GET", "/api/nothing-here/", "acme", headers=auth)
        self.assertEqual(reply.status, 404)
        self.assertEqual(reply.json(), {"error": {"code": "not_found", "reason": "no such resource"}})
        for path in ["/api/auth/access-token", "/api/auth/access-token/"]:
            self.assertEqual(self.openbar.request("GET", path, "acme", headers=auth).status, 200)

    def test_healthz_on_any_host(self):
        for host in ["localhost", "127.0.0.1", "acme.localhost", "whatever.example"]:
            reply = self.openbar.request("GET", "/healthz", host=host)
            self.assertEqual(reply.status, 200)
            self.assertEqual(reply.json(), {"status": "ok"})

    def test_concurrent_rotations(self):
        auth = {"Authorization": basic("bob", PASSWORD)}
        replies = []

        def rotate():
            replies.append(self.openbar.request("POST", "/api/auth/new-access-token/", "acme", headers=auth))

        threads = [threading.Thread(target=rotate) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([reply.status for reply in replies], [200] * 8)
        issued = [reply.json()["token"] for reply in replies]
        valid = [token for token in issued
                 if self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                         headers={"Authorization": f"Token {token}"}).status == 200]
        self.assertEqual(len(valid), 1)
        current = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers=auth).json()["token"]
        self.assertEqual(current, valid[0])

    def test_secrets_stay_out_of_storage_and_logs(self):
        token = self.openbar.request("GET", "/api/auth/access-token/", "acme",
                                     headers={"Authorization": basic("bob", PASSWORD)}).json()["token"]
        self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": f"Token {token}"})
        self.openbar.stop()
        key_file = self.openbar.database + ".key"
        self.assertEqual(stat.S_IMODE(os.stat(key_file).st_mode), 0o600)
        blobs = b""
        for suffix in ("", "-wal"):
            if os.path.exists(self.openbar.database + suffix):
                with open(self.openbar.database + suffix, "rb") as raw:
                    blobs += raw.read()
        log = self.openbar.server_log().encode()
        for secret in (token, PASSWORD, base64.b64encode(f"bob:{PASSWORD}".encode()).decode()):
            self.assertNotIn(secret.encode(), blobs)
            self.assertNotIn(secret.encode(), log)

    def test_graceful_stop_finishes_inflight_request(self):
        token = self.openbar.token("acme", "bob")
        body = json.dumps({"customers": [{"external_id": "late", "first_name": "Grace"}]}).encode()
        connection = socket.create_connection(("127.0.0.1", self.openbar.port))
        head = (f"POST /api/customers/upload/ HTTP/1.1\r\nHost: {self.openbar.host('acme')}\r\n"
                f"Authorization: Token {token}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        connection.sendall(head + body[:10])
        time.sleep(0.3)
        self.openbar.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        connection.sendall(body[10:])
        reply = connection.recv(65536).decode()
        connection.close()
        self.assertTrue(reply.startswith("HTTP/1.1 200"), reply)
        self.assertEqual(self.openbar.process.wait(15), 0)
        self.assertIn("late", self.stored_records("customers"))
        log = self.openbar.server_log()
        self.assertIn(f"listening on http://127.0.0.1:{self.openbar.port}", log)
        self.assertIn("stopped", log)


class CommandLineTest(harness.OpenbarTestCase):
    def assert_error(self, result, *fragments):
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(result.stdout, "")
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        for fragment in fragments:
            self.assertIn(fragment, lines[0])

    def test_duplicates_and_reserved_names(self):
        self.openbar.create_company("acme")
        self.assert_error(self.openbar.cli("company", "create", "acme", check=False), "acme", "already exists")
        for name in ["Acme", "ac_me", "acme-", "a.b", "a" * 64]:
            self.assert_error(self.openbar.cli("company", "create", name, check=False), "invalid company name")
        self.openbar.create_user("acme", "bob", "secret")
        self.assert_error(self.openbar.cli("user", "create", "acme", "bob", "--password-stdin", input="x\n",
                                           check=False), "bob", "already exists")
        for name in ["access-token", "ACCESS-TOKEN", "Access-Token"]:
            self.assert_error(self.openbar.cli("user", "create", "acme", name, "--password-stdin", input="x\n",
                                               check=False), "reserved")
        self.assert_error(self.openbar.cli("user", "create", "acme", "a:b", "--password-stdin", input="x\n",
                                           check=False), "':'")
        self.assert_error(self.openbar.cli("user", "create", "nosuch", "bob", "--password-stdin", input="x\n",
                                           check=False), "company 'nosuch' not found")
        self.assert_error(self.openbar.cli("user", "create", "acme", "carol", "--password-stdin", input="",
                                           check=False), "password")
        self.assert_error(self.openbar.cli("token", "show", "acme", "nobody", check=False), "user 'nobody' not found")
        for password in ["a\x01b\n", "tab\there\n"]:
            self.assert_error(self.openbar.cli("user", "create", "acme", "dave", "--password-stdin", input=password,
                                               check=False), "control characters")

    def test_password_change_and_token_commands(self):
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", "first")
        token = self.openbar.token("acme", "bob")
        self.assertEqual(self.openbar.token("acme", "bob"), token)
        rotated = self.openbar.cli("token", "rotate", "acme", "bob").stdout.strip()
        self.assertNotEqual(rotated, token)
        self.assertEqual(self.openbar.token("acme", "bob"), rotated)
        self.openbar.cli("user", "set-password", "acme", "bob", "--password-stdin", input="second\n")
        self.openbar.start()
        old = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": basic("bob", "first")})
        self.assertEqual(old.status, 401)
        new = self.openbar.request("GET", "/api/auth/access-token/", "acme", headers={"Authorization": basic("bob", "second")})
        self.assertEqual(new.status, 200)
        self.assertEqual(new.json()["token"], rotated)

    def test_missing_or_foreign_key_file_is_an_error(self):
        self.openbar.create_company("acme")
        self.openbar.create_user("acme", "bob", "secret")
        token = self.openbar.token("acme", "bob")
        key_file = self.openbar.database + ".key"
        os.rename(key_file, key_file + ".backup")

        self.assert_error(self.openbar.cli("token", "show", "acme", "bob", check=False), "is missing", "restore")
        self.assertFalse(os.path.exists(key_file))
        self.openbar.start(wait=False)
        self.assertEqual(self.openbar.process.wait(30), 1)
        self.assertIn("is missing", self.openbar.server_log())

        # A key file made for another database is rejected too.
        other = os.path.join(self.workdir, "other.db")
        self.openbar.cli("--database", "sqlite:" + other, "company", "create", "other")
        os.rename(other + ".key", key_file)
        self.assert_error(self.openbar.cli("token", "show", "acme", "bob", check=False), "does not belong")

        os.rename(key_file + ".backup", key_file)
        self.assertEqual(self.openbar.token("acme", "bob"), token)

    def test_database_url_errors(self):
        result = self.openbar.cli("--database", "mysql://x", "company", "create", "acme", check=False)
        self.assert_error(result, "unsupported database URL")
        result = self.openbar.cli("--database", "sqlite:/nonexistent-dir/x.db", "company", "create", "acme",
                                  check=False)
        self.assertNotEqual(result.returncode, 0)

    def test_invalid_base_domain_rejected(self):
        for domain in ["", "local..host", "a b", "-x.example"]:
            result = self.openbar.cli("serve", "--base-domain", domain, "--listen", "127.0.0.1:0", check=False)
            self.assertEqual(result.returncode, 1, domain)
            self.assertIn("invalid --base-domain", result.stderr)

    def test_usage_error_exit_status(self):
        result = self.openbar.cli("company", check=False)
        self.assertEqual(result.returncode, 2)
        self.assert_error(result, "usage error")
        self.assert_error(self.openbar.cli("company", "create", "", check=False), "invalid company name")
        result = self.openbar.cli("user", "create", "acme", "bob", check=False)
        self.assertEqual(result.returncode, 2)


if __name__ == "__main__":
    harness.main()
