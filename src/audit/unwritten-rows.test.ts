import { afterEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseConfig } from "../config/load-config.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import { readAuditNdjson } from "./read-audit-ndjson.ts";
import {
  STDERR_ROW_KEY,
  STDERR_ROWS_BEGIN,
  STDERR_ROWS_END,
  saveUnwrittenRows,
  unwrittenRowsPaths,
} from "./unwritten-rows.ts";

const cleanups: (() => void)[] = [];
const savedTmpdir = process.env.TMPDIR;
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  if (savedTmpdir === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmpdir;
});

function folder(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.path;
}

const records = Array.from({ length: 40 }, (_, i) => makeRecord({ requestId: `r${i}` }));
const at = new Date("2026-01-02T03:04:05.678Z");

test("the places, first choice first: beside the database, the working directory, then the temp directory", () => {
  const temp = folder();
  process.env.TMPDIR = temp;
  const sqlite = parseConfig({ storage: { path: "/srv/gw/gw.db" } }).storage;
  expect(unwrittenRowsPaths({ beside: sqlite }, at)).toEqual([
    "/srv/gw/gw.db.unwritten-2026-01-02T03-04-05.678Z.ndjson",
    resolve("mindgw-audit-unwritten-2026-01-02T03-04-05.678Z.ndjson"),
    join(temp, "mindgw-audit-unwritten-2026-01-02T03-04-05.678Z.ndjson"),
  ]);
  const memory = parseConfig({ storage: { path: ":memory:" } }).storage;
  expect(unwrittenRowsPaths({ beside: memory }, at, true)).toEqual([
    resolve("mindgw-audit-unwritten-maybe-stored-2026-01-02T03-04-05.678Z.ndjson"),
    join(temp, "mindgw-audit-unwritten-maybe-stored-2026-01-02T03-04-05.678Z.ndjson"),
  ]);
});

test("an embedder's own storage gets no file beside the config's SQLite path: its folder first when it names one", () => {
  const temp = folder();
  process.env.TMPDIR = temp;
  expect(unwrittenRowsPaths({}, at)).toEqual([
    resolve("mindgw-audit-unwritten-2026-01-02T03-04-05.678Z.ndjson"),
    join(temp, "mindgw-audit-unwritten-2026-01-02T03-04-05.678Z.ndjson"),
  ]);
  expect(unwrittenRowsPaths({ dir: "/srv/spill" }, at)[0]).toBe(
    "/srv/spill/mindgw-audit-unwritten-2026-01-02T03-04-05.678Z.ndjson",
  );
});

test("audit.unwritten_rows: stderr tries no file: the rows go to stderr between the marker lines, no file refused", () => {
  const sqlite = parseConfig({ storage: { path: "/srv/gw/gw.db" }, audit: { unwritten_rows: "stderr" } });
  expect(sqlite.audit.unwritten_rows).toBe("stderr");
  expect(unwrittenRowsPaths({ beside: sqlite.storage }, at, false, sqlite.audit.unwritten_rows)).toEqual([]);
  expect(unwrittenRowsPaths({ dir: "/srv/spill" }, at, true, "stderr")).toEqual([]);
  let written = "";
  const saved = saveUnwrittenRows(records, [], (text) => {
    written += text;
  });
  expect(saved).toEqual({ stderr: true, error: undefined });
  const lines = written.trimEnd().split("\n");
  expect([lines[0], lines.at(-1)]).toEqual([STDERR_ROWS_BEGIN, STDERR_ROWS_END]);
  // Each row under its one key, so no log shipper reads a row (bodies and all) as a log record.
  const rows = lines.slice(1, -1).map((line) => JSON.parse(line));
  expect(rows.map((row) => Object.keys(row))).toEqual(records.map(() => [STDERR_ROW_KEY]));
  expect(rows.map((row) => row[STDERR_ROW_KEY].requestId)).toEqual(records.map((r) => r.requestId));
  // And `mindgw audit import` reads them back as the records.
  expect(readAuditNdjson(written)).toEqual(records);
});

test("with log.format json the marker lines are JSON log lines too: every line a JSON pipeline reads is an object", () => {
  let written = "";
  saveUnwrittenRows(
    records,
    [],
    (text) => {
      written += text;
    },
    "json",
  );
  const lines = written
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines[0]).toEqual({ time: expect.any(String), level: "warn", msg: STDERR_ROWS_BEGIN });
  expect(lines.at(-1)).toEqual({ time: expect.any(String), level: "warn", msg: STDERR_ROWS_END });
  expect(lines.slice(1, -1).map((row) => Object.keys(row))).toEqual(records.map(() => [STDERR_ROW_KEY]));
  // And `mindgw audit import` reads them back as the records.
  expect(readAuditNdjson(written)).toEqual(records);
});

test("a place refused, the next one takes the rows; only a temp directory's copy is called temporary", () => {
  const kept = folder();
  const temp = folder();
  process.env.TMPDIR = temp;
  const refused = join(kept, "missing-folder", "rows.ndjson");
  const saved = saveUnwrittenRows(records, [refused, join(kept, "rows.ndjson")]);
  expect(saved).toEqual({ path: join(kept, "rows.ndjson"), temporary: false });
  const lines = readFileSync(join(kept, "rows.ndjson"), "utf8").trimEnd().split("\n");
  expect(lines.map((line) => JSON.parse(line).requestId)).toEqual(records.map((r) => r.requestId));
  expect(saveUnwrittenRows(records, [refused, join(temp, "rows.ndjson")])).toEqual({
    path: join(temp, "rows.ndjson"),
    temporary: true,
  });
});

test("no place takes the rows: they go to stderr between two marker lines, as NDJSON", () => {
  const dir = folder();
  writeFileSync(join(dir, "taken.ndjson"), "someone else's\n");
  let written = "";
  const saved = saveUnwrittenRows(
    records,
    [join(dir, "taken.ndjson"), join(dir, "no", "rows.ndjson")],
    (text) => {
      written += text;
    },
  );
  expect("stderr" in saved).toBe(true);
  const lines = written.trimEnd().split("\n");
  expect(lines[0]).toBe(STDERR_ROWS_BEGIN);
  expect(lines.at(-1)).toBe(STDERR_ROWS_END);
  expect(lines.slice(1, -1).map((line) => JSON.parse(line)[STDERR_ROW_KEY].requestId)).toEqual(
    records.map((r) => r.requestId),
  );
  // A file already there is not ours to remove.
  expect(readFileSync(join(dir, "taken.ndjson"), "utf8")).toBe("someone else's\n");
});

test("a disk that fills during the write leaves no short file behind: the rows go on to the next place", async () => {
  const dir = folder();
  mkdirSync(join(dir, "out"));
  const script = join(dir, "save.ts");
  // A process that may write 1 KB a file (ulimit -f 1, the signal ignored: writes fail EFBIG).
  writeFileSync(
    script,
    `import { makeRecord } from ${JSON.stringify(resolve(import.meta.dir, "audit-fixture.ts"))};
     import { saveUnwrittenRows } from ${JSON.stringify(resolve(import.meta.dir, "unwritten-rows.ts"))};
     const records = Array.from({ length: 40 }, (_, i) => makeRecord({ requestId: "r" + i }));
     const saved = saveUnwrittenRows(records, [${JSON.stringify(join(dir, "out", "a.ndjson"))}, ${JSON.stringify(join(dir, "out", "b.ndjson"))}]);
     console.log(JSON.stringify("stderr" in saved));`,
  );
  const child = Bun.spawn(
    ["sh", "-c", 'ulimit -f 1; trap "" XFSZ; exec "$0" "$1"', process.execPath, script],
    {
      env: childEnv(),
      stdout: "pipe",
      stderr: "pipe",
    },
  );
  const [out, err] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  expect(await child.exited).toBe(0);
  expect(out.trim()).toBe("true");
  expect(readdirSync(join(dir, "out"))).toEqual([]);
  expect(err).toContain(STDERR_ROWS_BEGIN);
  expect(err.split("\n").filter((line) => line.startsWith(`{"${STDERR_ROW_KEY}":{`)).length).toBe(
    records.length,
  );
});
