import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { printable } from "../core/printable.ts";
import { roundUsd } from "../core/round-usd.ts";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import type { AuditAttempt } from "./audit-attempt.ts";
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
  // The user agent's quoted newline, then the error, dropped, attempts, node and app columns (empty here).
  expect(lines[2]).toBe('w",,,,,,');
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

/** RFC 4180 records back into fields (quotes, doubled quotes, CRLF inside quotes). */
/** An attempt list as the CSV cell should say it: a billed attempt's cost to twelve digits. */
const roundedAttempts = (list: readonly AuditAttempt[]) =>
  list.map((attempt) =>
    attempt.billed
      ? { ...attempt, billed: { ...attempt.billed, costUsd: roundUsd(attempt.billed.costUsd) } }
      : attempt,
  );

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let at = 0; at < text.length; at++) {
    const c = text[at];
    if (quoted) {
      if (c === '"' && text[at + 1] === '"') {
        field += '"';
        at++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\r" && text[at + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      at++;
    } else field += c;
  }
  return rows;
}

test("CSV says what NDJSON says, its dollars to twelve digits: every field a column, the error message, dropped names and attempts included", async () => {
  const db = createSqliteAuditStore({ database: new Database(":memory:") });
  const attempts = [
    {
      route: "provider:a",
      upstreamModel: "m",
      outcome: "failed",
      status: 503,
      errorClass: "upstream_error",
      durationMs: 4,
      // A billed failure, priced as a float product: NDJSON exact, CSV rounded as `costUsd` is.
      billed: { inputTokens: 3, outputTokens: 0, costUsd: 0.0000025499999999999997 },
    },
    { route: "provider:b", upstreamModel: "m", outcome: "ok", status: null, errorClass: null, durationMs: 9 },
  ] as const;
  await db.insert([
    makeRecord({
      requestId: "failed",
      startedAt: 1,
      status: 502,
      errorClass: "upstream_error",
      // A message an attacker shaped as a formula stays text in a spreadsheet.
      errorMessage: '=HYPERLINK("http://evil","upstream b answered 503")',
      dropped: "web_search,tool_search",
      attempts: [...attempts],
      node: "n1",
      servedNode: "n2",
      app: "billing",
      requestBody: '{"model":"m"}',
      responseBody: null,
    }),
    makeRecord({ requestId: "plain", startedAt: 2 }),
  ]);
  for (const bodies of [false, true]) {
    const filter = auditFilterSchema.parse({ order: "asc", ...(bodies ? { bodies: "true" } : {}) });
    const records = (await collect(exportAudit(db, filter, "ndjson")))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const [header, ...rows] = parseCsv(await collect(exportAudit(db, filter, "csv")));
    // Every field NDJSON has is a CSV column, and the values agree cell by cell.
    for (const record of records) for (const key of Object.keys(record)) expect(header).toContain(key);
    expect(rows).toHaveLength(records.length);
    rows.forEach((row, index) => {
      const record = records[index] ?? {};
      header?.forEach((column, at) => {
        const value = record[column];
        const expected =
          value === null || value === undefined
            ? ""
            : column === "attempts"
              ? JSON.stringify(roundedAttempts(value as AuditAttempt[]))
              : column === "costUsd"
                ? String(roundUsd(value as number))
                : typeof value === "string" && /^[=+\-@\t\r]/.test(value)
                  ? `'${value}`
                  : String(value);
        expect([column, row[at]]).toEqual([column, expected]);
      });
    });
    const failed = rows[0] ?? [];
    const at = (column: string) => failed[header?.indexOf(column) ?? -1];
    expect(at("errorMessage")).toBe('\'=HYPERLINK("http://evil","upstream b answered 503")');
    expect(at("dropped")).toBe("web_search,tool_search");
    expect(JSON.parse(at("attempts") ?? "null")).toEqual(roundedAttempts([...attempts]));
    expect(JSON.parse(at("attempts") ?? "null")[0].billed.costUsd).toBe(0.00000255);
    const exact = records[0]?.attempts as AuditAttempt[] | undefined;
    expect(exact?.[0]?.billed?.costUsd).toBe(0.0000025499999999999997);
    expect(header?.includes("requestBody")).toBe(bodies);
  }
});

test("a cost's float noise is not in the CSV a person reads; NDJSON keeps the record exact, as the API's rows", async () => {
  const db = createSqliteAuditStore({ database: new Database(":memory:") });
  // 17 tokens at $0.15 a million: 0.0000025499999999999997 as multiplied.
  const costUsd = (17 * 0.15) / 1e6;
  await db.insert([makeRecord({ requestId: "noisy", costUsd })]);
  const filter = auditFilterSchema.parse({});
  const [header, row] = parseCsv(await collect(exportAudit(db, filter, "csv")));
  expect(row?.[header?.indexOf("costUsd") ?? -1]).toBe("0.00000255");
  const [line = ""] = (await collect(exportAudit(db, filter, "ndjson"))).split("\n");
  expect(JSON.parse(line).costUsd).toBe(costUsd);
});

test("no export runs a terminal's escape sequences: CSV shows controls as escapes, NDJSON escapes C1 too", async () => {
  const db = createSqliteAuditStore({ database: new Database(":memory:") });
  const hostile = makeRecord({
    requestId: "hostile",
    keyName: "k\u001b]0;owned\u0007",
    model: "m\u009b2J\u007f",
    errorMessage: "first line\r\nsecond \u001b[31mred",
  });
  await db.insert([hostile]);
  const csv = await collect(exportAudit(db, auditFilterSchema.parse({}), "csv"));
  const [header, row] = parseCsv(csv);
  const at = (column: string) => row?.[header?.indexOf(column) ?? -1];
  expect(at("keyName")).toBe("k\\u001b]0;owned\\u0007");
  expect(at("model")).toBe("m\\u009b2J\\u007f");
  // A line break inside a cell is the cell's own: the quoting carries it, as spreadsheets read it.
  expect(at("errorMessage")).toBe("first line\r\nsecond \\u001b[31mred");
  expect(csv.replaceAll(/[\t\r\n]/g, "")).toBe(printable(csv.replaceAll(/[\t\r\n]/g, "")));

  const ndjson = await collect(exportAudit(db, auditFilterSchema.parse({}), "ndjson"));
  expect(ndjson.trimEnd()).toBe(printable(ndjson.trimEnd()));
  expect(JSON.parse(ndjson)).toEqual(hostile);
});
