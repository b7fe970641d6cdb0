// A real OCI registry for tests: Debian's docker-registry (the CNCF distribution registry)
// on a loopback port, optionally with htpasswd basic auth and TLS from a test CA made with
// openssl. Each registry has its own storage directory and is stopped by the test.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import bcrypt from "bcryptjs";
import { freePort } from "./process.js";

export interface TestRegistry {
  host: string; // 127.0.0.1:PORT
  stop(): Promise<void>;
  log(): string;
}

export interface TestCa {
  caFile: string; // PEM of the CA, for NODE_EXTRA_CA_CERTS and skopeo --cert-dir
  certDir: string; // a directory holding ca.crt (containers-image's certs.d layout)
  certFile: string; // the server certificate for 127.0.0.1
  keyFile: string;
}

export interface RegistryOptions {
  dir: string; // storage and config live here
  htpasswd?: { user: string; password: string };
  tls?: TestCa;
  token?: { realm: string; service: string; issuer: string; certFile: string }; // token auth (helpers/token-server.ts)
}

/** A CA and a server certificate for IP 127.0.0.1 signed by it (openssl, RSA 2048, 1 day). */
export function makeTestCa(dir: string): TestCa {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => join(dir, n);
  const ssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "1", "-subj", "/CN=binship test CA");
  ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f("server.key"), "-out", f("server.csr"), "-subj", "/CN=127.0.0.1");
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n");
  ssl("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial", "-out", f("server.crt"), "-days", "1", "-extfile", f("ext.cnf"));
  // skopeo and buildah read every *.crt of --cert-dir as a CA, and want a *.cert beside each *.key.
  mkdirSync(f("certs"));
  copyFileSync(f("ca.crt"), join(dir, "certs", "ca.crt"));
  return { caFile: f("ca.crt"), certDir: f("certs"), certFile: f("server.crt"), keyFile: f("server.key") };
}

export async function startRegistry(o: RegistryOptions): Promise<TestRegistry> {
  mkdirSync(join(o.dir, "data"), { recursive: true });
  const port = await freePort();
  const lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:", `    rootdirectory: ${join(o.dir, "data")}`, "http:", `  addr: 127.0.0.1:${port}`];
  if (o.tls) lines.push("  tls:", `    certificate: ${o.tls.certFile}`, `    key: ${o.tls.keyFile}`);
  if (o.htpasswd) {
    writeFileSync(join(o.dir, "htpasswd"), `${o.htpasswd.user}:${bcrypt.hashSync(o.htpasswd.password, 5)}\n`);
    lines.push("auth:", "  htpasswd:", "    realm: binship-test", `    path: ${join(o.dir, "htpasswd")}`);
  }
  if (o.token) {
    lines.push("auth:", "  token:", `    realm: ${o.token.realm}`, `    service: ${o.token.service}`, `    issuer: ${o.token.issuer}`, `    rootcertbundle: ${o.token.certFile}`);
  }
  writeFileSync(join(o.dir, "config.yml"), `${lines.join("\n")}\n`);
  let output = "";
  const child: ChildProcess = spawn("docker-registry", ["serve", join(o.dir, "config.yml")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const host = `127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${output}`);
    const up = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => (sock.destroy(), resolve(true)));
      sock.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error(`docker-registry did not listen on ${host}: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    host,
    log: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}
