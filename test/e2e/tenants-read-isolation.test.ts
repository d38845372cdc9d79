import { beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { AuditRecord } from "../../src/audit/audit-record.ts";
import { auditRow, createKey } from "./harness/admin-api.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { spawnTail } from "./harness/spawn-tail.ts";
import { tenantsGateway } from "./harness/tenants-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: every read path a non-admin can reach (audit, export,
// events/tail) is held to the caller's tenant, and an admin in a tenant to its own.

const { fx, chat, key, get } = tenantsGateway();
let gw: GatewayProcess;
beforeAll(() => {
  gw = fx.gw;
});

describe("isolation on every read path", () => {
  let aKey = "";
  let bKey = "";
  let aRequest = "";
  let bRequest = "";
  beforeAll(async () => {
    aKey = await key("reader-a2", "team-m");
    bKey = await key("reader-b", "team-b");
    const a = await chat(aKey);
    aRequest = a.headers.get("x-request-id") ?? "";
    await a.arrayBuffer();
    const b = await chat(bKey);
    bRequest = b.headers.get("x-request-id") ?? "";
    await b.arrayBuffer();
    await auditRow(gw, aRequest);
    await auditRow(gw, bRequest);
  });

  test("/admin/api/audit: a member sees only its tenant's rows; asking for another tenant's is refused", async () => {
    for (const query of ["", "?tenant=team-m"]) {
      const res = await get(`/admin/api/audit${query}`, aKey);
      expect(res.status).toBe(200);
      const rows = ((await res.json()) as { records: AuditRecord[] }).records;
      expect(rows.some((r) => r.requestId === aRequest)).toBe(true);
      expect(rows.every((r) => r.tenant === "team-m")).toBe(true);
    }
    const exported = await (await get("/admin/api/audit/export", aKey)).text();
    expect(exported).toContain(aRequest);
    expect(exported).not.toContain(bRequest);
    // Not its own tenant's rows passed off as team-b's: a 403 naming the tenant it reads.
    for (const path of ["/admin/api/audit?tenant=team-b", "/admin/api/audit/export?tenant=team-b"]) {
      const refused = await get(path, aKey);
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('reads only its own tenant \\"team-m\\"');
    }
  });

  test("an admin sees every tenant and can filter by one; a key outside every tenant reads nothing", async () => {
    const admin = gw.adminKey ?? "";
    const all = ((await (await get("/admin/api/audit", admin)).json()) as { records: AuditRecord[] }).records;
    expect(all.some((r) => r.requestId === aRequest) && all.some((r) => r.requestId === bRequest)).toBe(true);
    const onlyB = (
      (await (await get("/admin/api/audit?tenant=team-b", admin)).json()) as {
        records: AuditRecord[];
      }
    ).records;
    expect(onlyB.length).toBeGreaterThan(0);
    expect(onlyB.every((r) => r.tenant === "team-b")).toBe(true);
    const outsider = await get("/admin/api/audit", await key("no-tenant"));
    expect(outsider.status).toBe(403);
    expect((await get("/admin/api/status", bKey)).status).toBe(403);
  });

  test("an admin key in a tenant reads only its own tenant's rows and keys; asking for another tenant's is refused, API and CLI", async () => {
    const bAdmin = (await createKey(gw, { name: "admin-b", tenant: "team-b", role: "admin" })).key;
    for (const query of ["", "?tenant=team-b"]) {
      const res = await get(`/admin/api/audit${query}`, bAdmin);
      expect(res.status).toBe(200);
      const rows = ((await res.json()) as { records: AuditRecord[] }).records;
      expect(rows.some((r) => r.requestId === bRequest)).toBe(true);
      expect(rows.filter((r) => r.tenant !== "team-b")).toEqual([]);
    }
    const exported = await (await get("/admin/api/audit/export", bAdmin)).text();
    expect(exported).toContain(bRequest);
    expect(exported).not.toContain(aRequest);
    for (const path of [
      "/admin/api/audit?tenant=team-m",
      "/admin/api/tenants?tenant=team-m",
      "/admin/api/keys?tenant=team-m",
    ])
      expect((await get(path, bAdmin)).status).toBe(403);
    const listed = await runMindgw([
      "keys",
      "list",
      "--tenant",
      "team-m",
      "--gateway",
      gw.url,
      "--admin-key",
      bAdmin,
    ]);
    expect(listed.code).not.toBe(0);
    expect(listed.stderr).toContain('this credential reads only its own tenant "team-b"');
    expect(listed.stdout).not.toContain("admin-b");
  });

  test("mindgw tail with a member's key shows only its tenant's requests", async () => {
    const tail = spawnTail(["--json", "--gateway", gw.url, "--admin-key", aKey]);
    try {
      // Requests keep coming until the tail is attached and shows one of its own tenant's.
      const seen = await waitFor(
        "the tail to show a team-m request",
        async () => {
          const b = await chat(bKey);
          await b.arrayBuffer();
          const a = await chat(aKey);
          await a.arrayBuffer();
          const id = a.headers.get("x-request-id");
          return tail.lines().some((l) => l.record?.requestId === id)
            ? b.headers.get("x-request-id")
            : undefined;
        },
        20_000,
        100,
      );
      expect(seen).toBeTruthy();
      const types = new Set(tail.lines().map((l) => l.type));
      expect([...types].every((t) => t === "request.started" || t === "request.finished")).toBe(true);
      expect(
        tail
          .lines()
          .every((l) => l.record === undefined || (l.record as { tenant?: string }).tenant === "team-m"),
      ).toBe(true);
    } finally {
      await tail.stop();
    }
  });

  test("/admin/api/events?tenant=: an admin reads that tenant's requests alone; a member naming another is refused", async () => {
    // An admin outside every tenant asking for team-b's part: team-b's requests, no one else's.
    const live = listenToEvents(gw, { query: "?tenant=team-b" });
    try {
      await live.ready;
      const seen = await waitFor(
        "team-b's request on the stream",
        async () => {
          const a = await chat(aKey);
          await a.arrayBuffer();
          const b = await chat(bKey);
          await b.arrayBuffer();
          const id = b.headers.get("x-request-id");
          return live.events.some((e) => e.type === "request.finished" && e.record.requestId === id);
        },
        20_000,
        100,
      );
      expect(seen).toBe(true);
      const tenants = live.events.map((e) =>
        e.type === "request.started" ? e.tenant : e.type === "request.finished" ? e.record.tenant : e.type,
      );
      expect([...new Set(tenants)]).toEqual(["team-b"]);
    } finally {
      live.close();
    }
    // A member naming another tenant: refused, not answered with its own tenant's events.
    const refused = await get("/admin/api/events?tenant=team-b", aKey);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('reads only its own tenant \\"team-m\\"');
    // A parameter the stream does not read is named, as on every other read view.
    const misspelt = await get("/admin/api/events?tennant=team-m", aKey);
    expect(misspelt.status).toBe(400);
    expect(await misspelt.text()).toContain("tennant");
  });
});

// A member's audit cursors carried the row's id, a counter of every tenant's rows: the gaps between
// its own rows' cursors counted other tenants' requests. Now they are sealed: a walk with none of
// team-b's requests between its rows reads as one with six, and a cursor in the clear (an admin's
// of the same rows, or one made up) is refused.
test("a member's audit cursors say nothing of how many requests another tenant made between its own", async () => {
  type Page = { records: AuditRecord[]; nextCursor: string | null };
  const member = await key("cursor-reader", "team-m");
  const bKey = await key("cursor-b", "team-b");
  /** Two chats by a new team-m key, `between` of team-b's between them; its pages of one row. */
  async function walk(between: number): Promise<{ rows: number; cursors: string[]; query: string }> {
    const caller = await createKey(gw, { name: `cursor-walk-${between}`, tenant: "team-m" });
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const own = await chat(caller.key);
      await own.arrayBuffer();
      ids.push(own.headers.get("x-request-id") ?? "");
      for (let j = 0; i === 0 && j < between; j++) await (await chat(bKey)).arrayBuffer();
    }
    for (const id of ids) await auditRow(gw, id);
    const query = `key=${caller.id}&limit=1`;
    const cursors: string[] = [];
    let rows = 0;
    let cursor: string | null = null;
    do {
      const res = await get(`/admin/api/audit?${query}${cursor === null ? "" : `&cursor=${cursor}`}`, member);
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      rows += page.records.length;
      cursor = page.nextCursor;
      if (cursor !== null) cursors.push(cursor);
    } while (cursor !== null);
    return { rows, cursors, query };
  }
  const alone = await walk(0);
  const among = await walk(6);
  expect([alone.rows, among.rows, alone.cursors.length, among.cursors.length]).toEqual([2, 2, 1, 1]);
  const cursors = [...alone.cursors, ...among.cursors];
  expect(new Set(cursors.map((c) => c.length)).size).toBe(1);
  for (const c of cursors) expect(() => JSON.parse(Buffer.from(c, "base64url").toString("utf8"))).toThrow();
  // The admin's cursor of the same rows holds the row's id in the clear: not taken from a member.
  const admin = (await (
    await get(`/admin/api/audit?${among.query}&tenant=team-m`, gw.adminKey ?? "")
  ).json()) as Page;
  expect(admin.nextCursor).not.toBeNull();
  const refused = await get(`/admin/api/audit?${among.query}&cursor=${admin.nextCursor}`, member);
  expect([refused.status, await refused.text()]).toEqual([
    400,
    expect.stringContaining("not a page's next cursor"),
  ]);
});
