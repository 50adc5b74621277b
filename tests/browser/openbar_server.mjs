// Starts the real openbar binary on a free loopback port with a fresh
// database, for the browser tests.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, openSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BASE_DOMAIN = "localhost";

function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export class OpenbarServer {
  constructor(binary) {
    this.binary = binary;
    this.workdir = mkdtempSync(join(tmpdir(), "openbar-browser-"));
    this.env = { ...process.env, OPENBAR_DATABASE: "sqlite:" + join(this.workdir, "openbar.db") };
    this.process = null;
    this.port = null;
  }

  cli(args, input) {
    return execFileSync(this.binary, args, { env: this.env, input, encoding: "utf8", timeout: 60000 });
  }

  createUser(company, username, password) {
    this.cli(["company", "create", company]);
    this.cli(["user", "create", company, username, "--password-stdin"], password + "\n");
  }

  async start() {
    this.port = await freePort();
    this.logPath = join(this.workdir, "server.log");
    const log = openSync(this.logPath, "a");
    this.process = spawn(this.binary, ["serve", "--listen", `127.0.0.1:${this.port}`, "--base-domain", BASE_DOMAIN],
      { env: this.env, stdio: ["ignore", log, log] });
    const deadline = Date.now() + 20000;
    while (Date.now() < deadline) {
      try {
        const reply = await this.request("GET", "/healthz", { host: "localhost" });
        if (reply.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("openbar did not start: " + readFileSync(this.logPath, "utf8"));
  }

  origin(company) {
    return `http://${company}.${BASE_DOMAIN}:${this.port}`;
  }

  // Sends one request to 127.0.0.1 with an explicit Host header, since
  // Node does not resolve COMPANY.localhost names itself.
  request(method, path, { host, company, headers = {}, body } = {}) {
    return new Promise((resolve, reject) => {
      const hostHeader = host ?? `${company}.${BASE_DOMAIN}:${this.port}`;
      const outgoing = request({ host: "127.0.0.1", port: this.port, method, path,
        headers: { ...headers, Host: hostHeader }, timeout: 30000 }, (response) => {
        let data = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => { data += chunk; });
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body: data }));
      });
      outgoing.on("error", reject);
      outgoing.on("timeout", () => outgoing.destroy(new Error("request timed out")));
      outgoing.end(body);
    });
  }

  async stop() {
    if (this.process && this.process.exitCode === null) {
      const exited = new Promise((resolve) => this.process.once("exit", resolve));
      this.process.kill("SIGKILL");
      await exited;
    }
    rmSync(this.workdir, { recursive: true, force: true });
  }
}
