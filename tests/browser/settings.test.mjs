// Black-box tests of the settings pages in a real browser: Debian's
// headless Chromium driven by playwright-core. Run by run.sh with the path
// of the openbar binary and a folder for screenshots.
import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

import { OpenbarServer } from "./openbar_server.mjs";
import { totpCode } from "./totp.mjs";

const BINARY = process.env.OPENBAR_BINARY;
const ARTIFACTS = process.env.OPENBAR_TEST_ARTIFACTS ?? join(tmpdir(), "openbar-test-artifacts");
const COMPANY = "acme";
const USERNAME = "alice";
const PASSWORD = "correct horse battery";

// Never downloads a browser: only the Debian binary is used.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

let server;
let browsers = [];

beforeEach(async () => {
  assert.ok(BINARY, "set OPENBAR_BINARY to the openbar binary");
  server = new OpenbarServer(BINARY);
  server.createUser(COMPANY, USERNAME, PASSWORD);
  await server.start();
});

afterEach(async () => {
  for (const { context, profile } of browsers) {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  browsers = [];
  await server.stop();
});

// Opens a browser with a fresh profile; returns its first page. Console
// messages about Content-Security-Policy violations are collected so a
// test can assert that the pages need no inline code.
async function openBrowser({ javaScriptEnabled = true } = {}) {
  const profile = mkdtempSync(join(tmpdir(), "openbar-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: CHROMIUM_ARGS,
    javaScriptEnabled,
  });
  browsers.push({ context, profile });
  const page = context.pages()[0] ?? await context.newPage();
  page.cspViolations = [];
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) page.cspViolations.push(message.text());
  });
  return page;
}

async function signIn(page, { username = USERNAME, password = PASSWORD, path = "/login/" } = {}) {
  await page.goto(server.origin(COMPANY) + path);
  await page.fill("#username", username);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState("load"), page.click("#sign-in")]);
}

async function revealedToken(page) {
  await page.click("#reveal-token summary");
  return (await page.textContent("#api-token")).trim();
}

function apiStatus(token) {
  return server.request("GET", "/api/auth/access-token/", { company: COMPANY,
    headers: { Authorization: "Token " + token } });
}

test("sign in and use the token from the page", async () => {
  const page = await openBrowser();
  await signIn(page);
  assert.equal(new URL(page.url()).pathname, "/settings/");
  assert.equal((await page.textContent("#username")).trim(), USERNAME);

  const token = await revealedToken(page);
  assert.match(token, /^obar_[0-9A-Za-z]+$/);
  assert.ok(!(await page.textContent("#masked-token")).includes(token.slice(0, 10)));
  const reply = await apiStatus(token);
  assert.equal(reply.status, 200);
  assert.deepEqual(JSON.parse(reply.body), { token });

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "settings-page.png"), fullPage: true });
  assert.deepEqual(page.cspViolations, []);
});

test("copy button puts the token on the clipboard", async () => {
  const page = await openBrowser();
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.origin(COMPANY) });
  await signIn(page);
  const token = (await page.textContent("#api-token")).trim();
  assert.equal(await page.isVisible("#copy-token"), true);
  await page.click("#copy-token");
  await page.waitForFunction(() => document.querySelector("#copy-token").textContent !== "Copy");
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), token);
});

test("rotating the token rejects the old one", async () => {
  const page = await openBrowser();
  await signIn(page);
  const oldToken = await revealedToken(page);

  await page.click("#new-token");
  assert.equal(new URL(page.url()).pathname, "/settings/new-token/");
  await Promise.all([page.waitForURL(/notice=token-rotated/), page.click("#confirm-new-token")]);
  assert.match(await page.textContent(".notice"), /previous token no longer works/);

  const newToken = await revealedToken(page);
  assert.notEqual(newToken, oldToken);
  assert.equal((await apiStatus(oldToken)).status, 401);
  assert.equal((await apiStatus(newToken)).status, 200);
});

test("wrong password shows one generic message", async () => {
  const page = await openBrowser();
  await signIn(page, { password: "not the password" });
  assert.equal(new URL(page.url()).pathname, "/login/");
  assert.equal((await page.textContent(".error")).trim(), "Incorrect username or password.");
  await signIn(page, { username: "nobody" });
  assert.equal((await page.textContent(".error")).trim(), "Incorrect username or password.");
});

test("form without CSRF token is rejected with 403", async () => {
  const page = await openBrowser();
  await signIn(page);
  await page.goto(server.origin(COMPANY) + "/settings/new-token/");
  await page.evaluate(() => document.querySelector('input[name="csrf_token"]').remove());
  const [response] = await Promise.all([
    page.waitForResponse((candidate) => candidate.request().method() === "POST"),
    page.click("#confirm-new-token"),
  ]);
  assert.equal(response.status(), 403);
  await page.waitForLoadState("load");
  assert.match(await page.textContent("#error-message"), /expired or did not come from this site/);
});

test("next pointing at another host is ignored", async () => {
  const page = await openBrowser();
  await signIn(page, { path: "/login/?next=%2F%2Fevil.example%2F" });
  const url = new URL(page.url());
  assert.equal(url.host, `${COMPANY}.localhost:${server.port}`);
  assert.equal(url.pathname, "/settings/");
});

test("pages work with JavaScript off", async () => {
  const page = await openBrowser({ javaScriptEnabled: false });
  await signIn(page);
  assert.equal(new URL(page.url()).pathname, "/settings/");
  assert.equal(await page.isVisible("#copy-token"), false);
  const token = await revealedToken(page);
  assert.equal((await apiStatus(token)).status, 200);

  await Promise.all([page.waitForURL(/\/login\/$/), page.click("#sign-out")]);
  await page.goto(server.origin(COMPANY) + "/settings/");
  assert.equal(new URL(page.url()).pathname, "/login/");
});

// Waits for the next 30-second step when the current one is about to end or
// was already used, so a typed code is never one the server has accepted.
async function freshCode(secret, usedCodes = new Set()) {
  for (;;) {
    const now = Date.now() / 1000;
    const code = totpCode(secret, now);
    if (30 - (now % 30) > 3 && !usedCodes.has(code)) {
      usedCodes.add(code);
      return code;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

test("two-factor set-up, sign-in with a code and turning it off", { timeout: 240000 }, async () => {
  const page = await openBrowser();
  await signIn(page);
  assert.equal((await page.textContent("#totp-status")).trim(), "Off");

  await page.click("#enable-totp");
  assert.equal(new URL(page.url()).pathname, "/settings/two-factor/");
  assert.equal(await page.locator(".qr svg path").count(), 1);
  const secret = (await page.textContent("#totp-secret")).trim();
  assert.match(secret, /^[A-Z2-7]{32}$/);
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "two-factor-setup.png"), fullPage: true });

  // A wrong first code keeps TOTP off.
  await page.fill("#code", "000000" === totpCode(secret) ? "111111" : "000000");
  await page.click("#confirm-totp");
  assert.match(await page.textContent(".error"), /not correct/);

  const used = new Set();
  await page.fill("#code", await freshCode(secret, used));
  await page.click("#confirm-totp");
  const recoveryCodes = (await page.locator("#recovery-codes code").allTextContents()).map((code) => code.trim());
  assert.equal(recoveryCodes.length, 10);
  for (const code of recoveryCodes) assert.match(code, /^[a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4}$/);

  await page.goto(server.origin(COMPANY) + "/settings/");
  assert.equal((await page.textContent("#totp-status")).trim(), "On");
  const settingsHtml = await page.content();
  for (const code of recoveryCodes) assert.ok(!settingsHtml.includes(code), "recovery code shown again");

  // Basic authentication now needs the code too.
  const basic = "Basic " + Buffer.from(`${USERNAME}:${PASSWORD}`).toString("base64");
  const withoutCode = await server.request("GET", "/api/auth/access-token/", { company: COMPANY,
    headers: { Authorization: basic } });
  assert.equal(withoutCode.status, 401);

  // Sign out, then in again: the password leads to the code step.
  await Promise.all([page.waitForURL(/\/login\/$/), page.click("#sign-out")]);
  await signIn(page);
  assert.equal(new URL(page.url()).pathname, "/login/");
  assert.ok(await page.isVisible("#verify-code"));
  await page.goto(server.origin(COMPANY) + "/settings/");
  assert.equal(new URL(page.url()).pathname, "/login/", "half-signed-in session opened the settings page");

  await signIn(page);
  await page.fill("#code", "12345");
  await page.click("#verify-code");
  assert.match(await page.textContent(".error"), /not correct/);
  await page.fill("#code", await freshCode(secret, used));
  await page.click("#verify-code");
  assert.equal(new URL(page.url()).pathname, "/settings/");

  // A recovery code also works for the second step, once.
  await Promise.all([page.waitForURL(/\/login\/$/), page.click("#sign-out")]);
  await signIn(page);
  await page.fill("#code", recoveryCodes[0]);
  await page.click("#verify-code");
  assert.equal(new URL(page.url()).pathname, "/settings/");

  // Turning it off needs a current code.
  await page.fill("#disable-code", "000000" === totpCode(secret) ? "111111" : "000000");
  await page.click("#disable-totp");
  assert.match(await page.textContent(".error"), /not correct/);
  assert.equal((await page.textContent("#totp-status")).trim(), "On");
  await page.fill("#disable-code", await freshCode(secret, used));
  await page.click("#disable-totp");
  assert.match(await page.textContent(".notice"), /Two-factor authentication is off/);
  assert.equal((await page.textContent("#totp-status")).trim(), "Off");
  const afterDisable = await server.request("GET", "/api/auth/access-token/", { company: COMPANY,
    headers: { Authorization: basic } });
  assert.equal(afterDisable.status, 200);
  assert.deepEqual(page.cspViolations, []);
});
