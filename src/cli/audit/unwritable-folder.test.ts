import { afterEach, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { auditRecord } from "../../audit/testing/audit-record.ts";
import { openSqliteStorage } from "../../storage/sqlite/sqlite-storage.ts";
import { childEnv, onlyPath } from "../../testing/off-cloud-env.ts";

const main = join(import.meta.dir, "../../main.ts");
const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const step of cleanup.splice(0).reverse()) step();
});

/**
 * `argv` run as an operator who may read the gateway's folder but not write it (the service
 * user owns it). Root may write anywhere, so as root the command runs as `nobody` (setpriv); a
 * folder made read-only for root instead (chattr +i) fails with another code (EPERM, not
 * EACCES), the one case the read-only open already handled.
 */
function runAsReader(folder: string, argv: string[]) {
  const asRoot = process.getuid?.() === 0;
  chmodSync(folder, asRoot ? 0o755 : 0o555);
  cleanup.push(() => chmodSync(folder, 0o755));
  const prefix = asRoot ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  return Bun.spawnSync([...prefix, process.execPath, main, ...argv], {
    cwd: folder,
    env: childEnv({ HOME: tmpdir() }, onlyPath),
    stdout: "pipe",
    stderr: "pipe",
  });
}

test("audit query -c reads a stopped gateway's database in a folder the operator cannot write", async () => {
  const folder = mkdtempSync(join(tmpdir(), "mindgw-unwritable-"));
  cleanup.push(() => rmSync(folder, { recursive: true, force: true }));
  const path = join(folder, "gw.db");
  const served = openSqliteStorage(path);
  await served.audit.probe();
  await served.audit.insert([auditRecord({ requestId: "req_seen" })]);
  await served.close();
  writeFileSync(join(folder, "config.yaml"), `storage:\n  path: ${path}\n`);
  chmodSync(path, 0o644);
  expect(readdirSync(folder).sort()).toEqual(["config.yaml", "gw.db"]);

  const run = runAsReader(folder, ["audit", "query", "-c", "config.yaml", "--json"]);
  // It said `storage.path …/gw.db: attempt to write a readonly database` (SQLITE_READONLY_DIRECTORY), exit 1.
  expect(run.stderr.toString()).toBe("");
  expect(run.exitCode).toBe(0);
  const rows = run.stdout
    .toString()
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { requestId: string });
  expect(rows.map((row) => row.requestId)).toEqual(["req_seen"]);
  expect(readdirSync(folder).sort()).toEqual(["config.yaml", "gw.db"]);
});
