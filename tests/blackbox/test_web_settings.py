"""HTTP-level tests of the settings web pages: sessions, cookies, CSRF and headers.

The browser-driven tests live in tests/browser/; these check what a browser
cannot show directly: exact cookie attributes, response headers, stored
session rows and the timeouts.
"""

import base64
import json
import os
import signal
import re
import sqlite3
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402
import pyotp  # noqa: E402

COMPANY = "acme"
USERNAME = "alice"
PASSWORD = "correct horse battery"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def set_cookies(reply):
    """Returns {name: (value, attributes)} from the Set-Cookie headers of a reply."""
    cookies = {}
    for header in reply.headers.get("set-cookie", []):
        pair, _, attributes = header.partition(";")
        name, _, value = pair.partition("=")
        cookies[name.strip()] = (value.strip(), attributes.strip())
    return cookies


def csrf_from(body):
    match = re.search(r'name="csrf_token" value="([^"]*)"', body)
    if not match:
        raise AssertionError("no CSRF token in the page: " + body[:500])
    return match.group(1)


class Browser:
    """A minimal cookie-keeping client on top of the harness's http.client requests."""

    def __init__(self, openbar, company=COMPANY):
        self.openbar = openbar
        self.company = company
        self.cookies = {}

    def cookie_header(self):
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method, path, form=None, headers=None, raw_body=None):
        all_headers = dict(headers or {})
        if self.cookies:
            all_headers["Cookie"] = self.cookie_header()
        body = raw_body
        if form is not None:
            all_headers = {**FORM, **all_headers}
            body = urllib.parse.urlencode(form)
        reply = self.openbar.request(method, path, company=self.company, headers=all_headers, body=body)
        for name, (value, attributes) in set_cookies(reply).items():
            if "Max-Age=0" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return reply

    def sign_in(self, username=USERNAME, password=PASSWORD, next_path=None):
        page = self.request("GET", "/login/")
        form = {"csrf_token": csrf_from(page.body), "username": username, "password": password}
        if next_path is not None:
            form["next"] = next_path
        return self.request("POST", "/login/", form=form)


class WebSettingsTest(harness.OpenbarTestCase):

    def start(self, *serve_args):
        self.openbar.create_company(COMPANY)
        self.openbar.create_user(COMPANY, USERNAME, PASSWORD)
        self.openbar.start(*serve_args)

    def session_rows(self):
        with sqlite3.connect(self.openbar.database) as database:
            return database.execute("SELECT id_hash, user_id FROM web_sessions").fetchall()

    def signed_in(self, *serve_args):
        self.start(*serve_args)
        browser = Browser(self.openbar)
        reply = browser.sign_in()
        self.assertEqual(reply.status, 303, reply.body)
        return browser

    # Sign-in and cookies -------------------------------------------------------

    def test_sign_in_sets_session_cookie(self):
        self.start()
        browser = Browser(self.openbar)
        page = browser.request("GET", "/login/")
        self.assertEqual(page.status, 200)
        login_cookie = set_cookies(page)["openbar_login"]
        self.assertEqual(login_cookie[1], "Path=/login; Max-Age=3600; HttpOnly; SameSite=Lax")

        reply = browser.request("POST", "/login/", form={
            "csrf_token": csrf_from(page.body), "username": USERNAME, "password": PASSWORD})
        self.assertEqual(reply.status, 303, reply.body)
        self.assertEqual(reply.header("location"), "/settings/")
        cookies = set_cookies(reply)
        value, attributes = cookies["openbar_session"]
        self.assertRegex(value, r"^[A-Za-z0-9_-]{43}$")
        self.assertEqual(attributes, "Path=/; Max-Age=43200; HttpOnly; SameSite=Lax")
        self.assertIn("Max-Age=0", cookies["openbar_login"][1])

    def test_session_id_stored_only_hashed(self):
        browser = self.signed_in()
        rows = self.session_rows()
        self.assertEqual(len(rows), 1)
        id_hash, _ = rows[0]
        session_id = browser.cookies["openbar_session"]
        self.assertEqual(len(id_hash), 32)
        raw = base64.urlsafe_b64decode(session_id + "=")
        self.assertNotEqual(bytes(id_hash), raw)
        self.assertNotIn(session_id.encode(), bytes(id_hash))

    def test_sign_in_issues_new_session_id(self):
        browser = self.signed_in()
        first = browser.cookies.pop("openbar_session")
        page = browser.request("GET", "/login/")
        # Sign in again from a browser that still sends its old session cookie.
        browser.cookies["openbar_session"] = first
        reply = browser.request("POST", "/login/", form={
            "csrf_token": csrf_from(page.body), "username": USERNAME, "password": PASSWORD})
        self.assertEqual(reply.status, 303)
        second = browser.cookies["openbar_session"]
        self.assertNotEqual(first, second)
        self.assertEqual(len(self.session_rows()), 1)
        stale = self.openbar.request("GET", "/settings/", company=COMPANY,
                                     headers={"Cookie": "openbar_session=" + first})
        self.assertEqual(stale.status, 303)

    def test_wrong_password_shows_generic_message(self):
        self.start()
        for username, password in [(USERNAME, "wrong password"), ("nobody", PASSWORD), ("", "")]:
            browser = Browser(self.openbar)
            reply = browser.sign_in(username=username, password=password)
            self.assertEqual(reply.status, 401, (username, reply.body))
            self.assertIn("Incorrect username or password.", reply.body)
            self.assertNotIn("openbar_session", browser.cookies)
        self.assertEqual(self.session_rows(), [])

    def test_unreadable_database_gives_html_503(self):
        # The password check reads the user from the database. When that
        # read fails, the sign-in form still gets an HTML page, not the
        # API's JSON error.
        self.start()
        browser = Browser(self.openbar)
        page = browser.request("GET", "/login/")
        form = {"csrf_token": csrf_from(page.body), "username": USERNAME, "password": PASSWORD}
        os.truncate(self.openbar.database, 8192)
        if os.path.exists(self.openbar.database + "-wal"):
            os.truncate(self.openbar.database + "-wal", 0)
        time.sleep(1.2)  # past the identity cache's default time limit of 1 s
        reply = browser.request("POST", "/login/", form=form)
        self.assertEqual(reply.status, 503, reply.body)
        self.assertTrue(reply.header("Content-Type").startswith("text/html"), reply.header("Content-Type"))
        self.assertIn("The service is temporarily unavailable. Try again shortly.", reply.body)
        self.assertNotIn("openbar_session", browser.cookies)

    def test_sign_in_without_login_cookie_is_forbidden(self):
        self.start()
        page = Browser(self.openbar).request("GET", "/login/")
        reply = self.openbar.request("POST", "/login/", company=COMPANY, headers=FORM, body=urllib.parse.urlencode(
            {"csrf_token": csrf_from(page.body), "username": USERNAME, "password": PASSWORD}))
        self.assertEqual(reply.status, 403)
        self.assertEqual(self.session_rows(), [])

    def test_next_path_kept_only_on_same_origin(self):
        self.start()
        cases = [
            ("/settings/new-token/", "/settings/new-token/"),
            ("//evil.example/", "/settings/"),
            ("https://evil.example/", "/settings/"),
            ("/\\evil.example/", "/settings/"),
            ("http:evil.example", "/settings/"),
        ]
        for next_path, expected in cases:
            reply = Browser(self.openbar).sign_in(next_path=next_path)
            self.assertEqual(reply.status, 303, next_path)
            self.assertEqual(reply.header("location"), expected, next_path)

    def test_signed_in_login_page_redirects(self):
        browser = self.signed_in()
        reply = browser.request("GET", "/login/?next=%2F%2Fevil.example%2F")
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/settings/")

    # Headers ------------------------------------------------------------------

    def assert_page_headers(self, reply):
        csp = reply.header("content-security-policy")
        self.assertIsNotNone(csp)
        self.assertIn("script-src 'self'", csp)
        self.assertIn("frame-ancestors 'none'", csp)
        self.assertNotIn("unsafe-inline", csp)
        self.assertEqual(reply.header("x-frame-options"), "DENY")
        self.assertEqual(reply.header("referrer-policy"), "no-referrer")
        self.assertEqual(reply.header("x-content-type-options"), "nosniff")
        self.assertEqual(reply.header("cache-control"), "no-store")

    def test_pages_send_security_headers(self):
        browser = self.signed_in()
        for path in ["/settings/", "/settings/new-token/"]:
            reply = browser.request("GET", path)
            self.assertEqual(reply.status, 200, path)
            self.assertEqual(reply.header("content-type"), "text/html; charset=utf-8")
            self.assert_page_headers(reply)
            self.assertNotIn("<script>", reply.body)
        self.assert_page_headers(Browser(self.openbar).request("GET", "/login/"))
        self.assert_page_headers(browser.request("POST", "/settings/new-token/", form={}))

    def test_static_files_have_content_types(self):
        self.start()
        script = self.openbar.request("GET", "/static/settings.js", company=COMPANY)
        self.assertEqual(script.status, 200)
        self.assertEqual(script.header("content-type"), "text/javascript; charset=utf-8")
        self.assertIn("navigator.clipboard", script.body)
        style = self.openbar.request("GET", "/static/openbar.css", company=COMPANY)
        self.assertEqual(style.status, 200)
        self.assertEqual(style.header("content-type"), "text/css; charset=utf-8")

    def test_values_are_html_escaped(self):
        self.openbar.create_company(COMPANY)
        self.openbar.create_user(COMPANY, "<b>eve\"'&", PASSWORD)
        self.openbar.start()
        browser = Browser(self.openbar)
        self.assertEqual(browser.sign_in(username="<b>eve\"'&").status, 303)
        page = browser.request("GET", "/settings/")
        self.assertIn("&lt;b&gt;eve&quot;&#39;&amp;", page.body)
        self.assertNotIn("<b>eve", page.body)

    # Token ----------------------------------------------------------------------

    def test_settings_page_shows_api_token(self):
        browser = self.signed_in()
        page = browser.request("GET", "/settings/")
        token = re.search(r'<code id="api-token" class="secret">([^<]+)</code>', page.body).group(1)
        self.assertEqual(token, self.openbar.token(COMPANY, USERNAME))
        api = self.openbar.request("GET", "/api/auth/access-token/", company=COMPANY,
                                   headers={"Authorization": "Token " + token})
        self.assertEqual(api.status, 200)
        self.assertEqual(api.json(), {"token": token})

    def test_rotate_token_replaces_it(self):
        browser = self.signed_in()
        old = self.openbar.token(COMPANY, USERNAME)
        confirm = browser.request("GET", "/settings/new-token/")
        reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": csrf_from(confirm.body)})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/settings/?notice=token-rotated")
        new = self.openbar.token(COMPANY, USERNAME)
        self.assertNotEqual(old, new)
        rejected = self.openbar.request("GET", "/api/auth/access-token/", company=COMPANY,
                                        headers={"Authorization": "Token " + old})
        self.assertEqual(rejected.status, 401)
        page = browser.request("GET", "/settings/?notice=token-rotated")
        self.assertIn(new, page.body)
        self.assertIn("The previous token no longer works.", page.body)

    def test_session_cookie_does_not_authenticate_api(self):
        browser = self.signed_in()
        for method, path in [("GET", "/api/auth/access-token/"), ("POST", "/api/auth/new-access-token/")]:
            reply = browser.request(method, path)
            self.assertEqual(reply.status, 401, path)
            self.assertEqual(reply.json()["error"]["code"], "not_authenticated")

    # CSRF and origin ------------------------------------------------------------

    def test_missing_csrf_token_is_forbidden(self):
        browser = self.signed_in()
        before = self.openbar.token(COMPANY, USERNAME)
        for form in [{}, {"csrf_token": ""}, {"csrf_token": "A" * 43}]:
            reply = browser.request("POST", "/settings/new-token/", form=form)
            self.assertEqual(reply.status, 403, form)
            self.assertIn("text/html", reply.header("content-type"))
        self.assertEqual(self.openbar.token(COMPANY, USERNAME), before)
        reply = browser.request("POST", "/logout/", form={})
        self.assertEqual(reply.status, 403)
        self.assertEqual(len(self.session_rows()), 1)

    def test_csrf_token_of_other_session_is_forbidden(self):
        browser = self.signed_in()
        other = Browser(self.openbar)
        other.sign_in()
        other_token = csrf_from(other.request("GET", "/settings/").body)
        reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": other_token})
        self.assertEqual(reply.status, 403)

    def test_foreign_origin_is_forbidden(self):
        browser = self.signed_in()
        token = csrf_from(browser.request("GET", "/settings/").body)
        before = self.openbar.token(COMPANY, USERNAME)
        for origin in ["http://evil.localhost", "null", f"http://other.localhost:{self.openbar.port}"]:
            reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": token},
                                    headers={"Origin": origin})
            self.assertEqual(reply.status, 403, origin)
        for site in ["cross-site", "same-site", "none"]:
            reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": token},
                                    headers={"Sec-Fetch-Site": site})
            self.assertEqual(reply.status, 403, site)
        self.assertEqual(self.openbar.token(COMPANY, USERNAME), before)

        own_origin = f"http://{COMPANY}.localhost:{self.openbar.port}"
        for headers in [{"Origin": own_origin}, {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
                        {"Origin": own_origin, "Sec-Fetch-Site": "same-origin"}]:
            reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": token}, headers=headers)
            self.assertEqual(reply.status, 303, headers)
            rotated = self.openbar.token(COMPANY, USERNAME)
            self.assertNotEqual(rotated, before)
            before = rotated

    def test_form_needs_urlencoded_body(self):
        browser = self.signed_in()
        reply = browser.request("POST", "/settings/new-token/", headers={"Content-Type": "application/json"},
                                raw_body='{"csrf_token": "x"}')
        self.assertEqual(reply.status, 415)
        reply = browser.request("POST", "/settings/new-token/", headers=FORM, raw_body="csrf_token=%zz")
        self.assertEqual(reply.status, 400)

    def test_form_size_limit(self):
        browser = self.signed_in("--max-form-bytes", "300")
        reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": "x", "pad": "y" * 300})
        self.assertEqual(reply.status, 413)

    def test_session_of_other_company_is_ignored(self):
        browser = self.signed_in()
        self.openbar.create_company("beta")
        reply = self.openbar.request("GET", "/settings/", company="beta",
                                     headers={"Cookie": browser.cookie_header()})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/login/?next=%2Fsettings%2F")

    # Session lifetime -----------------------------------------------------------

    def test_sign_out_deletes_session(self):
        browser = self.signed_in()
        session_id = browser.cookies["openbar_session"]
        token = csrf_from(browser.request("GET", "/settings/").body)
        reply = browser.request("POST", "/logout/", form={"csrf_token": token})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/login/")
        self.assertIn("Max-Age=0", set_cookies(reply)["openbar_session"][1])
        self.assertEqual(self.session_rows(), [])
        stale = self.openbar.request("GET", "/settings/", company=COMPANY,
                                     headers={"Cookie": "openbar_session=" + session_id})
        self.assertEqual(stale.status, 303)

    def test_idle_timeout_ends_session(self):
        browser = self.signed_in("--web-session-idle-timeout", "2")
        self.assertEqual(browser.request("GET", "/settings/").status, 200)
        time.sleep(3.2)
        reply = browser.request("GET", "/settings/")
        self.assertEqual(reply.status, 303)
        self.assertEqual(self.session_rows(), [])

    def test_activity_extends_idle_timeout(self):
        browser = self.signed_in("--web-session-idle-timeout", "3")
        for _ in range(4):
            time.sleep(1.2)
            self.assertEqual(browser.request("GET", "/settings/").status, 200)

    def test_lifetime_ends_active_session(self):
        browser = self.signed_in("--web-session-idle-timeout", "60", "--web-session-lifetime", "3")
        statuses = []
        for _ in range(5):
            statuses.append(browser.request("GET", "/settings/").status)
            time.sleep(1.0)
        self.assertEqual(statuses[0], 200)
        self.assertEqual(statuses[-1], 303)

    def test_web_session_flags_are_validated(self):
        self.openbar.create_company(COMPANY)
        for flag in ["--web-session-idle-timeout", "--web-session-lifetime", "--web-second-factor-timeout",
                     "--max-form-bytes"]:
            result = self.openbar.cli("serve", "--listen", "127.0.0.1:0", flag, "0", check=False)
            self.assertNotEqual(result.returncode, 0, flag)
            self.assertIn(flag, result.stderr)

    def test_cookies_are_secure_under_tls(self):
        cert = os.path.join(self.workdir, "cert.pem")
        key = os.path.join(self.workdir, "key.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", "/CN=acme.localhost", "-keyout", key, "-out", cert],
                       check=True, capture_output=True, timeout=60)
        self.openbar.create_company(COMPANY)
        self.openbar.create_user(COMPANY, USERNAME, PASSWORD)
        self.openbar.start("--tls-cert", cert, "--tls-key", key, wait=False)
        deadline = time.monotonic() + 20
        while True:
            probe = subprocess.run(["curl", "-s", "-k", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2",
                                    f"https://127.0.0.1:{self.openbar.port}/healthz", "-H", "Host: localhost"],
                                   capture_output=True, text=True, timeout=10)
            if probe.stdout == "200":
                break
            self.assertLess(time.monotonic(), deadline, "openbar did not start with TLS: " + self.openbar.server_log())
            time.sleep(0.1)
        jar = os.path.join(self.workdir, "cookies.txt")
        url = f"https://{COMPANY}.localhost:{self.openbar.port}/login/"
        resolve = f"{COMPANY}.localhost:{self.openbar.port}:127.0.0.1"
        page = self.openbar.curl("-k", "--resolve", resolve, "-c", jar, url)
        self.assertEqual(page.status, 200)
        self.assertTrue(set_cookies(page)["openbar_login"][1].endswith("; Secure"))

        form = urllib.parse.urlencode({"csrf_token": csrf_from(page.body), "username": USERNAME,
                                       "password": PASSWORD})
        reply = self.openbar.curl("-k", "--resolve", resolve, "-b", jar, "-H",
                                  f"Origin: https://{COMPANY}.localhost:{self.openbar.port}", "--data", form, url)
        self.assertEqual(reply.status, 303, reply.body)
        self.assertEqual(set_cookies(reply)["openbar_session"][1],
                         "Path=/; Max-Age=43200; HttpOnly; SameSite=Lax; Secure")

        # Over TLS a plain-http Origin is another site.
        page = self.openbar.curl("-k", "--resolve", resolve, "-c", jar, url)
        form = urllib.parse.urlencode({"csrf_token": csrf_from(page.body), "username": USERNAME,
                                       "password": PASSWORD})
        reply = self.openbar.curl("-k", "--resolve", resolve, "-b", jar, "-H",
                                  f"Origin: http://{COMPANY}.localhost:{self.openbar.port}", "--data", form, url)
        self.assertEqual(reply.status, 403)

    # Password change --------------------------------------------------------------

    def change_password(self, browser, current, new, confirm=None):
        token = csrf_from(browser.request("GET", "/settings/").body)
        return browser.request("POST", "/settings/password/", form={
            "csrf_token": token, "current_password": current, "new_password": new,
            "confirm_password": new if confirm is None else confirm})

    def basic_status(self, password):
        credentials = base64.b64encode(f"{USERNAME}:{password}".encode()).decode()
        return self.openbar.request("GET", "/api/auth/access-token/", company=COMPANY,
                                    headers={"Authorization": "Basic " + credentials}).status

    def test_password_change_signs_out_other_sessions(self):
        browser = self.signed_in()
        other = Browser(self.openbar)
        self.assertEqual(other.sign_in().status, 303)
        old_id = browser.cookies["openbar_session"]
        self.assertEqual(len(self.session_rows()), 2)

        reply = self.change_password(browser, PASSWORD, "a brand new password")
        self.assertEqual(reply.status, 303, reply.body)
        self.assertEqual(reply.header("location"), "/settings/?notice=password-changed")
        self.assertNotEqual(browser.cookies["openbar_session"], old_id)
        self.assertEqual(len(self.session_rows()), 1)
        self.assertEqual(browser.request("GET", "/settings/").status, 200)
        self.assertEqual(other.request("GET", "/settings/").status, 303)
        stale = self.openbar.request("GET", "/settings/", company=COMPANY,
                                     headers={"Cookie": "openbar_session=" + old_id})
        self.assertEqual(stale.status, 303)
        self.assertEqual(self.basic_status("a brand new password"), 200)
        self.assertEqual(self.basic_status(PASSWORD), 401)

    def test_password_change_needs_current_password(self):
        browser = self.signed_in()
        reply = self.change_password(browser, "not the password", "a brand new password")
        self.assertEqual(reply.status, 400)
        self.assertIn("The current password is incorrect.", reply.body)
        reply = self.change_password(browser, PASSWORD, "short")
        self.assertEqual(reply.status, 400)
        self.assertIn("at least 8 characters", reply.body)
        reply = self.change_password(browser, PASSWORD, "a brand new password", "a different one")
        self.assertEqual(reply.status, 400)
        self.assertIn("differ", reply.body)
        self.assertEqual(self.basic_status(PASSWORD), 200)
        self.assertEqual(len(self.session_rows()), 1)

    def test_password_change_by_cli_ends_sessions(self):
        browser = self.signed_in()
        self.openbar.cli("user", "set-password", COMPANY, USERNAME, "--password-stdin", input="another password\n")
        self.assertEqual(browser.request("GET", "/settings/").status, 303)


    # Throttling and the second factor ------------------------------------------------

    def basic_header(self, password):
        return "Basic " + base64.b64encode(f"{USERNAME}:{password}".encode()).decode()

    def test_form_sign_in_shares_password_throttle(self):
        self.start("--password-lockout-failures", "3", "--password-first-lockout", "60")
        for _ in range(2):
            self.assertEqual(Browser(self.openbar).sign_in(password="wrong password").status, 401)
        failed = self.openbar.request("GET", "/api/auth/access-token/", company=COMPANY,
                                      headers={"Authorization": self.basic_header("wrong again")})
        self.assertEqual(failed.status, 401)

        browser = Browser(self.openbar)
        reply = browser.sign_in()
        self.assertEqual(reply.status, 429, reply.body)
        self.assertGreaterEqual(int(reply.header("retry-after")), 1)
        self.assertIn("Too many failed sign-in attempts", reply.body)
        self.assertNotIn("openbar_session", browser.cookies)
        api = self.openbar.request("GET", "/api/auth/access-token/", company=COMPANY,
                                   headers={"Authorization": self.basic_header(PASSWORD)})
        self.assertEqual(api.status, 429)

    def enable_totp(self):
        secret = pyotp.random_base32()
        self.openbar.cli("totp", "enable", COMPANY, USERNAME, "--secret", secret)
        return pyotp.TOTP(secret)

    def fresh_code(self, totp, used):
        while True:
            remaining = 30 - time.time() % 30
            code = totp.now()
            if remaining > 3 and code not in used:
                used.add(code)
                return code
            time.sleep(1)

    def code_step(self, browser):
        reply = browser.sign_in()
        self.assertEqual(reply.status, 200, reply.body)
        self.assertIn('action="/login/code/"', reply.body)
        return reply

    def test_totp_user_needs_code_step(self):
        self.start()
        totp = self.enable_totp()
        browser = Browser(self.openbar)
        step = self.code_step(browser)
        pending_id = browser.cookies["openbar_session"]
        self.assertEqual(len(self.session_rows()), 1)

        # The half-signed-in session opens no page and rotates nothing.
        self.assertEqual(browser.request("GET", "/settings/").status, 303)
        before = self.openbar.token(COMPANY, USERNAME)
        reply = browser.request("POST", "/settings/new-token/", form={"csrf_token": csrf_from(step.body)})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/login/?next=%2Fsettings%2F")
        self.assertEqual(self.openbar.token(COMPANY, USERNAME), before)

        wrong = browser.request("POST", "/login/code/", form={"csrf_token": csrf_from(step.body), "code": "12345"})
        self.assertEqual(wrong.status, 401)
        self.assertIn("The code is not correct.", wrong.body)

        missing_csrf = browser.request("POST", "/login/code/", form={"code": totp.now()})
        self.assertEqual(missing_csrf.status, 403)

        reply = browser.request("POST", "/login/code/", form={
            "csrf_token": csrf_from(step.body), "code": self.fresh_code(totp, set()), "next": "/settings/new-token/"})
        self.assertEqual(reply.status, 303, reply.body)
        self.assertEqual(reply.header("location"), "/settings/new-token/")
        self.assertNotEqual(browser.cookies["openbar_session"], pending_id)
        self.assertEqual(len(self.session_rows()), 1)
        self.assertEqual(browser.request("GET", "/settings/").status, 200)

    def test_code_step_times_out(self):
        self.start("--web-second-factor-timeout", "2")
        totp = self.enable_totp()
        browser = Browser(self.openbar)
        step = self.code_step(browser)
        time.sleep(3.2)
        reply = browser.request("POST", "/login/code/", form={
            "csrf_token": csrf_from(step.body), "code": self.fresh_code(totp, set())})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/login/")
        self.assertEqual(self.session_rows(), [])

    def test_totp_code_is_single_use_across_sign_ins(self):
        self.start()
        totp = self.enable_totp()
        code = self.fresh_code(totp, set())
        first = Browser(self.openbar)
        step = self.code_step(first)
        self.assertEqual(first.request("POST", "/login/code/", form={
            "csrf_token": csrf_from(step.body), "code": code}).status, 303)
        second = Browser(self.openbar)
        step = self.code_step(second)
        reply = second.request("POST", "/login/code/", form={"csrf_token": csrf_from(step.body), "code": code})
        self.assertEqual(reply.status, 401)
        self.assertIn("already used", reply.body)

    def totp_status(self):
        return self.openbar.cli("totp", "status", COMPANY, USERNAME).stdout

    def test_settings_enables_totp_after_correct_code(self):
        browser = self.signed_in()
        settings = browser.request("GET", "/settings/")
        self.assertIn('id="totp-status">Off', settings.body)
        reply = browser.request("POST", "/settings/two-factor/", form={"csrf_token": csrf_from(settings.body)})
        self.assertEqual(reply.status, 303)
        self.assertEqual(reply.header("location"), "/settings/two-factor/")
        setup = browser.request("GET", "/settings/two-factor/")
        self.assertEqual(setup.status, 200)
        self.assertEqual(setup.header("cache-control"), "no-store")
        self.assertIn("<svg", setup.body)
        secret = re.search(r'id="totp-secret" class="secret">([A-Z2-7]+)<', setup.body).group(1)
        totp = pyotp.TOTP(secret)
        with sqlite3.connect(self.openbar.database) as database:
            sealed = database.execute("SELECT pending_totp_secret FROM web_sessions").fetchone()[0]
        self.assertIsNotNone(sealed)
        self.assertNotIn(base64.b32decode(secret), bytes(sealed))

        # Not active before a correct code.
        self.assertTrue(self.totp_status().startswith("TOTP disabled"))
        wrong = browser.request("POST", "/settings/two-factor/confirm/", form={
            "csrf_token": csrf_from(setup.body), "code": "000000" if totp.now() != "000000" else "111111"})
        self.assertEqual(wrong.status, 400)
        self.assertTrue(self.totp_status().startswith("TOTP disabled"))

        used = set()
        confirmed = browser.request("POST", "/settings/two-factor/confirm/", form={
            "csrf_token": csrf_from(setup.body), "code": self.fresh_code(totp, used)})
        self.assertEqual(confirmed.status, 200, confirmed.body)
        self.assertEqual(confirmed.header("cache-control"), "no-store")
        codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", confirmed.body)
        self.assertEqual(len(codes), 10)
        self.assertTrue(self.totp_status().startswith("TOTP enabled"))
        self.assertEqual(browser.request("GET", "/settings/two-factor/").status, 303)

        # The credential change ended the other sessions; this browser got a new one.
        page = browser.request("GET", "/settings/")
        self.assertEqual(page.status, 200)
        self.assertIn('id="totp-status">On', page.body)
        for code in codes:
            self.assertNotIn(code, page.body)

        # Disabling needs a current code.
        refused = browser.request("POST", "/settings/two-factor/disable/", form={
            "csrf_token": csrf_from(page.body), "code": ""})
        self.assertEqual(refused.status, 400)
        self.assertIn("The code is not correct.", refused.body)
        reply = browser.request("POST", "/settings/two-factor/disable/", form={
            "csrf_token": csrf_from(page.body), "code": self.fresh_code(totp, used)})
        self.assertEqual(reply.status, 303, reply.body)
        self.assertEqual(reply.header("location"), "/settings/?notice=two-factor-off")
        self.assertTrue(self.totp_status().startswith("TOTP disabled"))


    # Audit log ---------------------------------------------------------------------

    def test_web_actions_are_audited(self):
        self.start()
        self.assertEqual(Browser(self.openbar).sign_in(password="wrong password").status, 401)
        browser = Browser(self.openbar)
        self.assertEqual(browser.sign_in().status, 303)
        confirm = browser.request("GET", "/settings/new-token/")
        self.assertEqual(browser.request("POST", "/settings/new-token/",
                                         form={"csrf_token": csrf_from(confirm.body)}).status, 303)
        self.assertEqual(self.change_password(browser, PASSWORD, "a brand new password").status, 303)
        self.assertEqual(self.openbar.stop(signal.SIGTERM), 0)

        rows = [json.loads(line) for line in self.openbar.cli("audit", "list", "--json").stdout.splitlines()]
        web_rows = [(row["event"], row["outcome"], row["reason"], row["username"])
                    for row in rows if row["method"] == "web"]
        self.assertEqual(web_rows, [
            ("authentication", "failure", "authentication_failed", USERNAME),
            ("authentication", "success", "", USERNAME),
            ("token_rotated", "success", "", USERNAME),
            ("password_changed", "success", "", USERNAME),
        ])
        for row in rows:
            self.assertNotIn(PASSWORD, json.dumps(row))


if __name__ == "__main__":
    harness.main()
