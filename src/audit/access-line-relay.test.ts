import { expect, test } from "bun:test";
import { join } from "node:path";
import { startPostgres } from "../../test/e2e/harness/postgres-server.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { tempDir } from "./audit-fixture.ts";

/** Runs testing/access-lines-process.ts (on SQLite, or at `database`); its stderr's lines and exit code. */
async function serve(format: "text" | "json", ending: string, requests = 20, database?: string) {
  const dir = tempDir();
  try {
    const proc = Bun.spawn(
      [
        process.execPath,
        join(import.meta.dir, "testing/access-lines-process.ts"),
        database ?? join(dir.path, "audit.db"),
        format,
        ending,
        String(requests),
      ],
      { env: childEnv(), stdout: "pipe", stderr: "pipe" },
    );
    const code = await proc.exited;
    const stderr = await new Response(proc.stderr).text();
    return { code, lines: stderr.split("\n").filter((line) => line.includes("request")) };
  } finally {
    dir.cleanup();
  }
}

/** Request ids of the lines, in order, as `level:id`. */
const ids = (lines: string[]) =>
  lines.flatMap((line) => {
    const match = /(info|warn|error).*request_id[=":]+(r\d+)/.exec(line);
    return match ? [`${match[1]}:${match[2]}`] : [];
  });

/** What the process's requests' lines must be, in request order (each once). */
const expected = (requests: number) =>
  Array.from(
    { length: requests },
    (_, i) => `${i % 5 === 4 ? "warn" : i % 7 === 6 ? "error" : "info"}:r${i}`,
  );

test("every request's line is written once, served ones by the audit thread, through a close", async () => {
  for (const format of ["text", "json"] as const) {
    const { code, lines } = await serve(format, "close", 40);
    expect(code).toBe(0);
    expect(ids(lines).sort()).toEqual(expected(40).sort());
    // Each writer keeps its lines in order: the loop's warnings and errors, the thread's info lines.
    const served = ids(lines).filter((id) => id.startsWith("info"));
    expect(served).toEqual(expected(40).filter((id) => id.startsWith("info")));
  }
});

test("rows still queued at an exit or a crash get their lines from the loop, once", async () => {
  for (const ending of ["exit", "crash", "in-flight"]) {
    const { lines } = await serve("text", ending, 30);
    expect(ids(lines).sort()).toEqual(expected(30).sort());
  }
});

test("PostgreSQL's audit thread writes the served lines too, each once", async () => {
  const server = await startPostgres();
  try {
    const { code, lines } = await serve("json", "close", 30, await server.createDatabase());
    expect(code).toBe(0);
    expect(ids(lines).sort()).toEqual(expected(30).sort());
  } finally {
    await server.stop();
  }
}, 60_000);
