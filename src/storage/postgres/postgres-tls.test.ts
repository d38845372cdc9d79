/**
 * `storage.sslmode` and `storage.sslrootcert` against a real PostgreSQL that accepts TCP
 * connections over TLS only (hostssl), with a certificate signed by a CA that openssl makes here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PostgresServer, startPostgres } from "../../../test/e2e/harness/postgres-server.ts";
import { tempDir } from "../../../test/e2e/harness/temp-dir.ts";
import { parseConfigText } from "../../config/load-config.ts";
import { openStorage, postgresOptions } from "../open-storage.ts";
import { type PostgresOptions, postgresUrl } from "./postgres-client.ts";
import { openPostgresStorage } from "./postgres-storage.ts";

const dir = tempDir("mindgw-pg-tls-");
let postgres: PostgresServer;
let url: string;

function openssl(...args: string[]): void {
  const run = Bun.spawnSync(["openssl", ...args], { cwd: dir.path, stdout: "pipe", stderr: "pipe" });
  if (run.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${run.stderr.toString()}`);
}

beforeAll(async () => {
  // A CA, a server certificate it signs for 127.0.0.1, and an unrelated CA.
  for (const [name, subject] of [
    ["ca", "/CN=mindgw test CA"],
    ["wrong-ca", "/CN=some other CA"],
  ] as const)
    openssl(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "2",
      "-subj",
      subject,
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.crt`,
    );
  openssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    "server.key",
    "-out",
    "server.csr",
  );
  writeFileSync(dir.file("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(
    "x509",
    "-req",
    "-in",
    "server.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    "san.cnf",
    "-out",
    "server.crt",
  );
  postgres = await startPostgres({
    tls: {
      cert: readFileSync(dir.file("server.crt"), "utf8"),
      key: readFileSync(dir.file("server.key"), "utf8"),
      only: true,
    },
  });
  url = await postgres.createDatabase("tls");
}, 60_000);

afterAll(async () => {
  await postgres?.stop();
  dir.cleanup();
});

const options = (sslmode: PostgresOptions["sslmode"], sslrootcert?: string): PostgresOptions => ({
  url,
  pool: 1,
  statementTimeoutMs: 5_000,
  connectTimeoutMs: 2_000,
  sslmode,
  ...(sslrootcert ? { sslrootcert: dir.file(sslrootcert) } : {}),
});

/** Opens the stores (migrations included) and reports whether the connection is encrypted. */
async function connectedOverTls(settings: PostgresOptions): Promise<boolean> {
  const storage = await openPostgresStorage(settings);
  try {
    // A store works end to end over the connection.
    await storage.spend.add(new Map([["key_tls", 0.5]]));
    expect(await storage.spend.total("key_tls")).toBeGreaterThan(0);
    return true;
  } finally {
    await storage.close();
  }
}

test("sslmode require connects (encrypted, the certificate not checked)", async () => {
  expect(await connectedOverTls(options("require"))).toBe(true);
  // The server saw TLS on that connection.
  const { SQL } = await import("bun");
  const sql = new SQL({ url: `${url}?sslmode=require`, max: 1 });
  const [row] = (await sql`SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()`) as { ssl: boolean }[];
  await sql.close();
  expect(row?.ssl).toBe(true);
});

test("verify-full and verify-ca with the CA that signed the server's certificate connect", async () => {
  expect(await connectedOverTls(options("verify-full", "ca.crt"))).toBe(true);
  expect(await connectedOverTls(options("verify-ca", "ca.crt"))).toBe(true);
});

test("verify-full with a different CA fails, naming the CA file and the mode", async () => {
  await expect(openPostgresStorage(options("verify-full", "wrong-ca.crt"))).rejects.toThrow(
    `cannot connect to PostgreSQL at 127.0.0.1:${postgres.port}/tls: the server's certificate is not signed by the CA in sslrootcert ${dir.file("wrong-ca.crt")} (sslmode verify-full)`,
  );
});

test("verify-full without a CA file: not trusted by the system, and the message says to set sslrootcert", async () => {
  await expect(openPostgresStorage(options("verify-full"))).rejects.toThrow(
    "a CA this system trusts (set storage.sslrootcert)",
  );
});

test("sslrootcert system, a CA the system does not trust: the message says so, not a file named system", async () => {
  // It said "not signed by the CA in sslrootcert system".
  await expect(openPostgresStorage({ ...options("verify-full"), sslrootcert: "system" })).rejects.toThrow(
    "the server's certificate is not signed by a CA the system trusts (sslrootcert system) (sslmode verify-full)",
  );
});

test("sslmode disable against a server that requires TLS fails, saying so", async () => {
  await expect(openPostgresStorage(options("disable"))).rejects.toThrow(
    "the server accepts only TLS connections; storage.sslmode is disable: use require, verify-ca or verify-full",
  );
});

test("from a config file: sslrootcert is read beside the file, and the default sslmode (prefer) uses TLS", async () => {
  const config = parseConfigText(
    join(dir.path, "mindgw.yaml"),
    `storage: { driver: postgres, url: "${url}", sslmode: verify-full, sslrootcert: ca.crt, pool: 1 }\n`,
  );
  expect(config.storage.sslrootcert).toBe(dir.file("ca.crt"));
  const storage = await openStorage(config.storage);
  await storage.close();
  // The server lets in TLS connections only, so connecting at all means prefer chose TLS.
  const preferred = parseConfigText(
    join(dir.path, "mindgw.yaml"),
    `storage: { driver: postgres, url: "${url}", pool: 1 }\n`,
  );
  expect(postgresUrl(postgresOptions(preferred.storage))).toContain("sslmode=prefer");
  const plain = await openStorage(preferred.storage);
  await plain.close();
});
