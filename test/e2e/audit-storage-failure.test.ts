import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { adminGet, allAuditRows, rowCount, withDb } from "./harness/audit-kit.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

// A database that cannot be written while the gateway runs. File modes do not stop root, and an
// open descriptor ignores a later chmod anyway; the immutable attribute (`chattr +i`) stops
// every writer, root and already-open descriptors included: SQLite's next write to the -wal gets
// EPERM (SQLITE_IOERR_WRITE) and a reopen gets SQLITE_READONLY. The -shm stays mutable: SQLite
// maps it into memory, and a write fault there would be a SIGBUS, not a storage error.
function chattr(flag: "+i" | "-i", files: string[]): boolean {
  return Bun.spawnSync(["chattr", flag, ...files], { stderr: "ignore", stdout: "ignore" }).exitCode === 0;
}

function immutableWorks(): boolean {
  const probe = tempDir("mindgw-chattr-");
  try {
    const file = probe.file("probe");
    writeFileSync(file, "x");
    if (!chattr("+i", [file])) return false;
    chattr("-i", [file]);
    return true;
  } catch {
    return false;
  } finally {
    probe.cleanup();
  }
}

const canFreeze = immutableWorks();
const config = (failOpen: boolean, drainTimeout = "30s") => ({
  server: { drain_timeout: drainTimeout },
  providers: [{ name: "mock", type: "mock" }],
  models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
  audit: { flush_ms: 20, fail_open: failOpen },
});

const fx = gatewayFixture({ fake: null, gateway: false });
let gw: GatewayProcess | undefined;
let frozen: string[] = [];

function freeze(g: GatewayProcess): void {
  frozen = [`${g.dir}/mindgw.db`, `${g.dir}/mindgw.db-wal`];
  // Thawed after the test whatever happened, before the fixture stops the gateway and removes its files.
  fx.deferTest(() => {
    if (frozen.length > 0) chattr("-i", frozen);
    frozen = [];
  });
  expect(chattr("+i", frozen)).toBe(true);
}

function thaw(): void {
  chattr("-i", frozen);
  frozen = [];
}

const chat = (g: GatewayProcess, id: string) =>
  fetch(`${g.url}/v1/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${g.adminKey}`,
      "content-type": "application/json",
      "x-request-id": id,
    },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  });

// No skip when the tool is missing: CI must fail, not pass quietly without the test.
test("this machine can freeze a file (chattr +i, as root on a file system that supports it)", () => {
  expect(canFreeze).toBe(true);
});

describe("audit storage failure (read-only database)", () => {
  test("fail closed: 503 audit_unavailable in the caller's dialect, logged; served again once writable", async () => {
    gw = await fx.spawn({ config: config(false) });
    const g = gw;
    expect((await chat(g, "before")).status).toBe(200);
    await waitFor("the first row", async () => (await allAuditRows(g)).some((r) => r.requestId === "before"));
    freeze(g);
    // The request whose row hits the frozen file is still served; the ones after it are refused.
    let n = 0;
    const refused = await waitFor(
      "a 503",
      async () => {
        const response = await chat(g, `frozen-${n++}`);
        return response.status === 503 ? response : undefined;
      },
      15_000,
    );
    const body = (await refused.json()) as { error: { code: string; type: string } };
    expect(body.error.code).toBe("audit_unavailable");
    const anthropic = await fetch(`${g.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": g.adminKey!,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({ model: "mock", max_tokens: 5, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(503);
    const anthropicBody = (await anthropic.json()) as {
      type: string;
      error: { type: string; message: string };
    };
    expect(anthropicBody.type).toBe("error");
    expect(anthropicBody.error.message).toContain("audit log");
    expect((await fetch(`${g.url}/readyz`)).status).toBe(503);
    expect(g.stderr.all).toMatch(/audit storage failed .*503 audit_unavailable/);

    thaw();
    await waitFor("service to resume", async () => (await chat(g, `after-${n++}`)).status === 200, 15_000);
    // Info lines are written within 10 ms, not at once (src/log/batched-write.ts).
    await waitFor("the recovery logged", () => g.stderr.all.includes("audit storage recovered"));
    // The row of the request served as the storage failed waited in the queue and is written now.
    await waitFor("the queued row", async () =>
      (await allAuditRows(g)).some((r) => r.requestId === "frozen-0"),
    );
    const rows = await allAuditRows(g, "status=503");
    expect(rows.length).toBeGreaterThan(0);
  }, 60_000);

  test("audit.fail_open: true keeps serving, and the queued rows are written after recovery", async () => {
    gw = await fx.spawn({ config: config(true) });
    const g = gw;
    expect((await chat(g, "open-before")).status).toBe(200);
    await waitFor("the first row", async () =>
      (await allAuditRows(g)).some((r) => r.requestId === "open-before"),
    );
    freeze(g);
    // A write has to hit the frozen file for the failure to show.
    expect((await chat(g, "open-first")).status).toBe(200);
    await waitFor(
      "the failure to be logged",
      () => /audit storage failed .*fail_open is set/.test(g.stderr.all),
      15_000,
    );
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await chat(g, `open-${i}`)).status);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const status = await adminGet<{ audit: { healthy: boolean } }>(g, "/admin/api/status");
    expect(status.audit.healthy).toBe(true);
    thaw();
    await waitFor(
      "every queued row",
      async () => {
        const ids = new Set((await allAuditRows(g)).map((r) => r.requestId));
        return Array.from({ length: 20 }, (_, i) => `open-${i}`).every((id) => ids.has(id));
      },
      15_000,
    );
  }, 60_000);

  test("while refusing, /readyz says why, and /metrics and /admin/api/status are served with the queue's depth", async () => {
    gw = await fx.spawn({ config: config(false) });
    const g = gw;
    expect((await chat(g, "watch-before")).status).toBe(200);
    await waitFor("the first row", async () =>
      (await allAuditRows(g)).some((r) => r.requestId === "watch-before"),
    );
    freeze(g);
    let n = 0;
    await waitFor("a 503", async () => (await chat(g, `watch-${n++}`)).status === 503, 15_000);
    const readyz = await fetch(`${g.url}/readyz`);
    expect(readyz.status).toBe(503);
    const body = (await readyz.json()) as { status: string; reason: string };
    expect(body.status).toBe("unavailable");
    expect(body.reason).toMatch(/^audit storage: /);
    // What the audit alerts read (MindgwAuditQueueBacklog): scraped on the main port with an admin key.
    const metrics = await fetch(`${g.url}/metrics`, { headers: { authorization: `Bearer ${g.adminKey}` } });
    expect(metrics.status).toBe(200);
    const depth = Number((await metrics.text()).match(/^mindgw_audit_queue_depth (\d+)/m)?.[1]);
    // The row of the request served as the storage failed, the refused requests' rows, and more.
    expect(depth).toBeGreaterThanOrEqual(2);
    const status = await adminGet<{ audit: { healthy: boolean } }>(g, "/admin/api/status");
    expect(status.audit.healthy).toBe(false);
    expect(
      (await fetch(`${g.url}/admin/api/workers`, { headers: { authorization: `Bearer ${g.adminKey}` } }))
        .status,
    ).toBe(200);
    // Another admin read is refused as everything else.
    expect(
      (await fetch(`${g.url}/admin/api/audit`, { headers: { authorization: `Bearer ${g.adminKey}` } }))
        .status,
    ).toBe(503);

    thaw();
    await waitFor(
      "/readyz to be ready again",
      async () => (await fetch(`${g.url}/readyz`)).status === 200,
      15_000,
    );
  }, 60_000);
});

describe("a graceful stop while the database cannot be written", () => {
  /** With audit.fail_open the requests are served as the file is frozen: their rows wait in the queue. */
  async function servedWhileFrozen(g: GatewayProcess, count: number): Promise<string[]> {
    expect((await chat(g, "stop-before")).status).toBe(200);
    await waitFor("the first row", async () =>
      (await allAuditRows(g)).some((r) => r.requestId === "stop-before"),
    );
    freeze(g);
    const served: string[] = [];
    for (let i = 0; i < count; i++) if ((await chat(g, `stop-${i}`)).status === 200) served.push(`stop-${i}`);
    await waitFor("the failure to be logged", () => g.stderr.all.includes("audit storage failed"), 15_000);
    return served;
  }

  const idsIn = (path: string) =>
    withDb(path, (db) =>
      db
        .query<{ request_id: string }, []>("SELECT request_id FROM audit_log")
        .all()
        .map((row) => row.request_id),
    );

  test("within server.drain_timeout it keeps retrying: once the file is writable again every row is written, exit 0", async () => {
    gw = await fx.spawn({ config: config(true, "60s") });
    const g = gw;
    const served = await servedWhileFrozen(g, 40);
    const stopped = g.stop("SIGTERM", 90_000);
    await waitFor("the stop to say it retries", () =>
      g.stderr.all.includes("stop: audit storage is failing"),
    );
    thaw();
    expect(await stopped).toBe(0);
    const written = new Set(idsIn(`${g.dir}/mindgw.db`));
    expect(served.filter((id) => !written.has(id))).toEqual([]);
    expect(readdirSync(g.dir).filter((name) => name.endsWith(".ndjson"))).toEqual([]);
  }, 120_000);

  test("past server.drain_timeout the rows never written are saved beside the database, exactly those, and the log says how many and where", async () => {
    gw = await fx.spawn({ config: config(true, "1s") });
    const g = gw;
    const served = await servedWhileFrozen(g, 40);
    // Two attempts and nothing else lost every row served during the outage; exit 1: a part failed.
    expect(await g.stop("SIGTERM", 30_000)).toBe(1);
    thaw();
    const said = g.stderr.all.match(
      /(\d+) audit rows could not be written \(audit storage: [^)]*\); saved as NDJSON[^/]* to (\/[^"\s]+\.ndjson)/,
    );
    expect(said).not.toBeNull();
    const [, count, path] = said as RegExpMatchArray;
    expect(path).toStartWith(`${g.dir}/mindgw.db.unwritten-`);
    const saved = readFileSync(path as string, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as { requestId: string; status: number });
    expect(saved).toHaveLength(Number(count));
    const written = idsIn(`${g.dir}/mindgw.db`);
    // Exactly the rows missing from the database: every served request is in one place, none in both.
    const savedIds = saved.map((row) => row.requestId);
    expect(savedIds.filter((id) => written.includes(id))).toEqual([]);
    expect(served.filter((id) => !written.includes(id) && !savedIds.includes(id))).toEqual([]);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((id) => savedIds.includes(id))).toBe(true);
  }, 60_000);

  test("`mindgw audit import` stores the saved rows once the storage is back: each row once, its cost in the key's spend once; again it adds none; a bad line imports nothing, unless --skip-bad", async () => {
    // Priced, so the rows carry a cost the spend totals must hold once.
    gw = await fx.spawn({
      config: { ...config(true, "1s"), prices: { mock: { input_per_mtok: 1000, output_per_mtok: 1000 } } },
    });
    const g = gw;
    const db = `${g.dir}/mindgw.db`;
    const spent = () =>
      withDb(
        db,
        (d) => d.query<{ usd: number }, []>("SELECT sum(spend_usd) AS usd FROM key_spend").get()?.usd ?? 0,
      );
    const rowCost = () =>
      withDb(
        db,
        (d) => d.query<{ usd: number }, []>("SELECT sum(cost_usd) AS usd FROM audit_log").get()?.usd ?? 0,
      );
    expect((await chat(g, "before-import")).status).toBe(200);
    // Its row and its spend stored before the file is frozen: what the database holds agrees.
    await waitFor("the first row's spend", () => spent() > 0 && Math.abs(spent() - rowCost()) < 1e-9);
    freeze(g);
    const served: string[] = [];
    for (let i = 0; i < 30; i++)
      if ((await chat(g, `import-${i}`)).status === 200) served.push(`import-${i}`);
    await waitFor("the failure to be logged", () => g.stderr.all.includes("audit storage failed"), 15_000);
    expect(await g.stop("SIGTERM", 30_000)).toBe(1);
    thaw();
    const path = g.stderr.all.match(/saved as NDJSON[^/]* to (\/[^"\s]+\.ndjson)/)?.[1] as string;
    const saved = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(saved.length).toBeGreaterThan(0);
    // The stop's spend flush failed with the audit: the served rows' cost is in neither.
    expect(spent()).toBeLessThan(rowCost() + saved.reduce((sum, line) => sum + JSON.parse(line).costUsd, 0));

    const first = await runMindgw(["audit", "import", path, "-c", g.configPath]);
    expect(first.stderr).toBe("");
    expect(first.stdout).toMatch(
      new RegExp(
        `^imported ${saved.length} rows, 0 already stored; their cost, \\$[0-9.]+, added to 1 spend total\n$`,
      ),
    );
    const exported = await runMindgw(["audit", "export", "-c", g.configPath]);
    const ids = exported.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line).requestId as string);
    // Every served request once: those written before the stop and those imported.
    expect(ids.filter((id) => id.startsWith("import-")).sort()).toEqual([...served].sort());
    expect(new Set(ids).size).toBe(ids.length);
    expect(Math.abs(spent() - rowCost())).toBeLessThan(1e-9);

    const again = await runMindgw(["audit", "import", path, "-c", g.configPath]);
    expect(again.code).toBe(0);
    // A maybe-stored file's rows may be the stop's own write's, whose spend no total holds: said as
    // possibly owed, with the file of those rows that would add it (not added here). Any other
    // file's were imported before, their cost added then: nothing to add, no file saved.
    if (path.includes("unwritten-maybe-stored-")) {
      expect(again.stdout).toStartWith(
        `imported 0 rows, ${saved.length} already stored; no spend to add\npossibly owed: $`,
      );
      expect(again.stdout).toMatch(
        /to add it: mindgw audit import \S+\.already-stored-\S+\.ndjson --spend-stored/,
      );
    } else {
      expect(again.stdout).toBe(
        `imported 0 rows, ${saved.length} already stored; no spend to add\n${saved.length} rows already stored (imported before): nothing to add\n`,
      );
      expect(readdirSync(g.dir).filter((name) => name.includes("already-stored"))).toEqual([]);
    }
    expect(Math.abs(spent() - rowCost())).toBeLessThan(1e-9);

    const broken = `${g.dir}/broken.ndjson`;
    writeFileSync(broken, [saved[0], saved[0]?.slice(0, 40), ...saved.slice(1)].join("\n"));
    const before = rowCount(db);
    const bad = await runMindgw(["audit", "import", broken, "-c", g.configPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toStartWith(`mindgw: ${broken}: 1 line is not an audit row:\n  line 2: not JSON (`);
    expect(bad.stderr).toContain("nothing imported");
    expect(rowCount(db)).toBe(before);

    // A journal's last copy with a row split in pieces: --skip-bad takes the rest, names the pieces.
    const fresh = JSON.stringify({ ...JSON.parse(saved[0] as string), requestId: "after-a-split-row" });
    writeFileSync(broken, [fresh, saved[0]?.slice(0, 40), saved[0]?.slice(40)].join("\n"));
    const skipping = await runMindgw(["audit", "import", broken, "--skip-bad", "-c", g.configPath]);
    expect(skipping.code).toBe(1);
    expect(skipping.stdout).toStartWith("imported 1 rows, 0 already stored;");
    expect(skipping.stderr).toStartWith(
      `mindgw: ${broken}: 2 lines are not an audit row:\n  line 2: not JSON (`,
    );
    expect(skipping.stderr).toContain(
      "skipped, not imported (a journal splits a line longer than its LineMax",
    );
    expect(rowCount(db)).toBe(before + 1);
  }, 90_000);
});
