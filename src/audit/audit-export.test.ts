import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import { exportAudit, exportAuditStream } from "./audit-export.ts";
import { makeRecord } from "./audit-fixture.ts";
import { auditFilterSchema } from "./audit-query-schema.ts";
import { csvField } from "./csv-line.ts";

function database() {
  const db = createSqliteAuditStore({ database: new Database(":memory:") });
  const records = Array.from({ length: 25 }, (_, i) =>
    makeRecord({ requestId: `r${i}`, startedAt: i, model: i % 2 ? "a" : "b" }),
  );
  records.push(makeRecord({ requestId: "tricky", startedAt: 99, userAgent: 'x "y", z\r\nw', ttfbMs: null }));
  return { db, records, ready: db.insert(records) };
}

async function collect(chunks: AsyncIterable<string>): Promise<string> {
  let text = "";
  for await (const chunk of chunks) text += chunk;
  return text;
}

test("csvField quotes only what RFC 4180 requires", () => {
  expect(csvField("plain")).toBe("plain");
  expect(csvField('a "b"')).toBe('"a ""b"""');
  expect(csvField("a,b")).toBe('"a,b"');
  expect(csvField("a\nb")).toBe('"a\nb"');
  expect(csvField(null)).toBe("");
  expect(csvField(false)).toBe("false");
});

test("csvField neutralises what a spreadsheet would run as a formula", () => {
  expect(csvField('=HYPERLINK("http://evil","x")')).toBe('"\'=HYPERLINK(""http://evil"",""x"")"');
  expect(csvField("+1+1")).toBe("'+1+1");
  expect(csvField("-2+3")).toBe("'-2+3");
  expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
  expect(csvField("\tcmd")).toBe("'\tcmd");
  // Numbers are numbers: a negative latency is not a formula.
  expect(csvField(-5)).toBe("-5");
  expect(csvField("curl/8.0")).toBe("curl/8.0");
});

test("NDJSON: one AuditRecord per line, filtered, across pages", async () => {
  const { db, records, ready } = database();
  await ready;
  const text = await collect(
    exportAudit(db, auditFilterSchema.parse({ order: "asc" }), "ndjson", { pageSize: 4 }),
  );
  expect(
    text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line)),
  ).toEqual(records);
  const only = await collect(
    exportAudit(db, auditFilterSchema.parse({ model: "a" }), "ndjson", { pageSize: 4 }),
  );
  expect(only.trimEnd().split("\n").length).toBe(12);
});

test("CSV: a header, then RFC 4180 records with CRLF line ends", async () => {
  const { db, ready } = database();
  await ready;
  const text = await collect(
    exportAudit(db, auditFilterSchema.parse({ order: "desc" }), "csv", { pageSize: 10 }),
  );
  const lines = text.split("\r\n");
  expect(lines[0]).toStartWith("requestId,startedAt,keyId,keyName,tenant,role,frontDoor,model,route");
  expect(lines[1]).toStartWith("tricky,99,key_1,ci,acme,user,chat,");
  expect(lines[1]).toContain(',,10,20,0.0001,127.0.0.1,"x ""y"", z');
  // The user agent's quoted newline, then the node columns (empty off a cluster).
  expect(lines[2]).toBe('w",,');
  expect(lines.at(-1)).toBe("");
});

test("the stream variant yields the same bytes and can be cancelled", async () => {
  const { db, ready } = database();
  await ready;
  const filter = auditFilterSchema.parse({});
  const text = await new Response(exportAuditStream(db, filter, "ndjson", { pageSize: 3 })).text();
  expect(text).toBe(await collect(exportAudit(db, filter, "ndjson")));
  const reader = exportAuditStream(db, filter, "csv", { pageSize: 3 }).getReader();
  await reader.read();
  await reader.cancel();
});
