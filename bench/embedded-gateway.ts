/**
 * The gateway in library form (`createGateway()`), to measure what auth, limits and audit
 * cost: the binary always authenticates and audits, the library lets each be switched off.
 *   bun bench/embedded-gateway.ts --upstream http://127.0.0.1:PORT --auth on|off --audit on|off
 * Prints `{"key":"mgw_…"}` (the key to send) then `{"port":N}` once listening; stops on SIGTERM.
 * `--auth off`: a fixed admin-like principal with no limits, no credential lookup.
 * `--auth on`: the real key authentication, with a key whose rpm/tpm are set so high that they
 * never refuse but the limiter counts every request. `--audit off`: rows are not written
 * (live events still flow), as `recordAudit: false`. `--gc-probe`: answers bench/gc-probe.ts's
 * signals (what young collections keep alive; bench/eden-survivors.ts drives it).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createKeyAdmin } from "../src/auth/key-admin.ts";
import { parseConfig } from "../src/config/load-config.ts";
import { createGateway } from "../src/gateway/create-gateway.ts";
import { silentLogger } from "../src/log/logger.ts";
import { openSqliteStorage } from "../src/storage/sqlite/sqlite-storage.ts";
import { FIXED_PRINCIPAL } from "./fixed-principal.ts";
import { armGcProbe } from "./gc-probe.ts";

const { values } = parseArgs({
  options: {
    upstream: { type: "string" },
    auth: { type: "string", default: "on" },
    audit: { type: "string", default: "on" },
    port: { type: "string", default: "0" },
    "gc-probe": { type: "boolean", default: false },
  },
});
if (!values.upstream) throw new Error("--upstream URL is required");
const onOff = (name: string, v: string | undefined): boolean => {
  if (v !== "on" && v !== "off") throw new Error(`--${name}: expected on or off, got ${v}`);
  return v === "on";
};
const authOn = onOff("auth", values.auth);
const auditOn = onOff("audit", values.audit);

const dir = await mkdtemp(join(tmpdir(), "mindgw-bench-embedded-"));
const config = parseConfig({
  server: { host: "127.0.0.1", port: 0 },
  storage: { driver: "sqlite", path: join(dir, "mindgw.db") },
  auth: { bootstrap_admin: false },
  providers: [{ name: "fake", type: "openai", base_url: `${values.upstream.replace(/\/$/, "")}/v1` }],
  models: [{ name: "bench-model", routes: [{ provider: "fake", model: "bench-model" }] }],
});
const storage = openSqliteStorage(config.storage.path);
// Created before the gateway starts, so its key cache loads it like any stored key.
const issued = await createKeyAdmin({ store: storage.keys }).create("local-operator", {
  name: "bench",
  models: ["*"],
  rpm: 1_000_000_000,
  tpm: 1_000_000_000_000,
});
const gateway = await createGateway({
  config,
  storage,
  logger: silentLogger,
  ...(authOn ? {} : { auth: async () => FIXED_PRINCIPAL }),
  ...(auditOn ? {} : { recordAudit: false }),
});
const address = gateway.listen("127.0.0.1", Number(values.port));
// The key first: the harness reads it as soon as it sees the port line.
process.stdout.write(`${JSON.stringify({ key: issued.key })}\n${JSON.stringify({ port: address.port })}\n`);
if (values["gc-probe"]) armGcProbe((line) => process.stdout.write(`${line}\n`));
process.on("SIGTERM", () => {
  void gateway
    .stop()
    .finally(() => rm(dir, { recursive: true, force: true }))
    .finally(() => process.exit(0));
});
