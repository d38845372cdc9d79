import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { Storage } from "../../storage/storage.ts";
import { onEachStorage } from "../../testing/each-storage.ts";
import { everyPage } from "../../testing/every-page.ts";
import { callAs, recordingGateway } from "../../testing/recording-gateway.ts";
import { tenantsConfig } from "../../testing/tenants-config.ts";

// `GET /admin/api/audit`'s `nextCursor` to a reader held to its tenant. It carried the last row's
// place in the whole log (its row id, a counter every tenant's rows share), so the reader read from
// the gaps between its own rows' cursors how many requests other tenants made in between; and a
// cursor it made up itself, a start and a row id, walked the log where it chose, so bisecting on
// the row id told it its rows' ids even had the cursors hidden them. Now a tenant reader's cursor is
// sealed, and only a sealed one is taken from it. On SQLite and PostgreSQL alike.

const T = 1_760_000_000_000;
const QUERY = "model=gpt-4o-mini&limit=1";

/** Acme's three rows, `others` of tenant globex's written after each (the same start: ties too). */
function log(others: number): AuditRecord[] {
  const rows: AuditRecord[] = [];
  for (let i = 0; i < 3; i++) {
    rows.push(makeRecord({ requestId: `acme_${i}`, startedAt: T + i }));
    for (let j = 0; j < others; j++)
      rows.push(
        makeRecord({ requestId: `globex_${i}_${j}`, tenant: "globex", keyId: "key_g", startedAt: T + i }),
      );
  }
  return rows;
}

interface Read {
  /** Each page's rows, and its cursor's length. */
  pages: { rows: string[]; cursorLength: number | null }[];
  cursors: string[];
  call: (query: string, as: "member" | "admin") => Promise<Response>;
}

/** Acme's member walks its tenant's part of `rows`, a page of one row at a time. */
async function walk(
  storage: Storage,
  rows: AuditRecord[],
  then: (read: Read) => Promise<void>,
): Promise<Read> {
  await storage.audit.insert(rows);
  const { gateway, adminKey } = await recordingGateway(tenantsConfig(["acme", "globex"]), undefined, {
    storage,
  });
  try {
    const made = await callAs(gateway, adminKey, "POST", "/admin/api/keys", {
      name: "acme-member",
      tenant: "acme",
    });
    const member = ((await made.json()) as { key: string }).key;
    const call = (query: string, as: "member" | "admin") =>
      callAs(gateway, as === "member" ? member : adminKey, "GET", `/admin/api/audit?${query}`);
    const pages = await everyPage<{ records: AuditRecord[]; nextCursor: string | null }>(
      (cursor) => call(`${QUERY}${cursor === null ? "" : `&cursor=${cursor}`}`, "member"),
      (page) => page.nextCursor,
    );
    const read: Read = {
      pages: pages.map((page) => ({
        rows: page.records.map((r) => r.requestId),
        cursorLength: page.nextCursor?.length ?? null,
      })),
      cursors: pages.flatMap((page) => (page.nextCursor === null ? [] : [page.nextCursor])),
      call,
    };
    await then(read);
    return read;
  } finally {
    await gateway.stop();
  }
}

const REFUSED = {
  message: "cursor: not a page's next cursor",
  type: "invalid_request_error",
  param: "cursor",
  code: "invalid_request",
};

async function refusedTo(read: Read, cursor: string): Promise<void> {
  const response = await read.call(`${QUERY}&cursor=${cursor}`, "member");
  expect([response.status, ((await response.json()) as { error: unknown }).error]).toEqual([400, REFUSED]);
}

function leaksNothing(open: () => Promise<Storage>) {
  test("its cursors read alike whether other tenants made no request between its own or many", async () => {
    const alone = await walk(await open(), log(0), async () => {});
    const among = await walk(await open(), log(9), async () => {});
    expect(alone.pages.map((p) => p.rows)).toEqual([["acme_2"], ["acme_1"], ["acme_0"]]);
    // The same rows, cursors of one length; and no cursor holds a position in the clear.
    expect(among.pages).toEqual(alone.pages);
    expect(new Set(alone.pages.flatMap((p) => (p.cursorLength === null ? [] : [p.cursorLength]))).size).toBe(
      1,
    );
    for (const cursor of [...alone.cursors, ...among.cursors])
      expect(() => JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"))).toThrow();
  }, 60_000);

  test("a cursor it made up, an admin's of the same query, or one changed, is refused (400)", async () => {
    await walk(await open(), log(3), async (read) => {
      // An admin's cursor of the same rows, `?tenant=acme`: the form the reader could make up.
      const admin = (await (await read.call(`${QUERY}&tenant=acme`, "admin")).json()) as {
        nextCursor: string;
      };
      const [startedAt, id] = JSON.parse(
        Buffer.from(admin.nextCursor, "base64url").toString("utf8"),
      ) as number[];
      await refusedTo(read, admin.nextCursor);
      // A release before's form: a start and a row id alone.
      await refusedTo(read, Buffer.from(JSON.stringify([startedAt, id])).toString("base64url"));
      const own = read.cursors[0] ?? "";
      const bytes = Buffer.from(own, "base64url");
      bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
      await refusedTo(read, bytes.toString("base64url"));
      // Its own cursor given with another query is the 400 of a cursor of another query, as ever.
      const other = await read.call(`model=other&limit=1&cursor=${own}`, "member");
      expect([other.status, ((await other.json()) as { error: { message: string } }).error.message]).toEqual([
        400,
        expect.stringContaining("cursor: made for another query"),
      ]);
    });
  }, 60_000);
}

onEachStorage(leaksNothing);
