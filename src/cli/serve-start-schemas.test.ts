import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { childEnv, noSettings } from "../testing/off-cloud-env.ts";
import { waitForValue } from "../testing/wait-for.ts";

// Issue 11's idle RSS: a zod schema is a few hundred bytes of objects and closures, and a gateway
// on the embedded defaults never reads most of ours at start. Three sets are made on their first
// use instead (core/built-on-first-use.ts): the translations' (another dialect's bodies, on the
// first body a translation reads), the shadow API's (a pair read or listed) and key
// administration's (a key created, changed or rotated; the API's document): 895 of the 2,340
// schemas a start made, ~4 MB of idle RSS, ~3 of it the translations' (docs/BENCHMARKS-HISTORY.md,
// session 47). The code stays in the chunks read at start (test/build/start-chunks.test.ts reads
// those); what is guarded here is what runs. A real `mindgw serve` from source, on the embedded
// defaults, with a preload (testing/record-schema-builds.ts) that tells which holders were built,
// and which of our files were on the stack as each schema was made.

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "mindgw-start-schemas-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Files whose schemas are all held for first use: none of them on the stack of a schema a start
 * makes. A lead only (a tail call's frame is dropped); the holders built are the verdict.
 */
const DEFERRED = [
  "translate/openai-schema.ts",
  "translate/anthropic-schema.ts",
  "translate/responses/responses-schema.ts",
  "shadow/shadow-api-schema.ts",
  "auth/key-admin-schemas.ts",
  "auth/key-view.ts",
];

/** What the preload wrote: the holders built, and our files on the stack as schemas were made. */
interface SchemaBuilds {
  holders: string[];
  files: string[];
}

test("a start on the embedded defaults builds none of the translations', the shadow API's or key administration's schemas; the first Messages request to the mock (a chat route) builds Anthropic's", async () => {
  const builds = join(dir, "schema-builds.json");
  const gateway = Bun.spawn(
    [
      process.execPath,
      "--preload",
      join(ROOT, "src/testing/record-schema-builds.ts"),
      join(ROOT, "src/main.ts"),
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
    ],
    { cwd: dir, env: childEnv({ MINDGW_SCHEMA_BUILDS: builds }, noSettings), stdout: "pipe", stderr: "pipe" },
  );
  let exitCode: number | undefined;
  void gateway.exited.then((code) => {
    exitCode = code;
  });
  let out = "";
  let err = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of gateway.stdout) out += decoder.decode(chunk, { stream: true });
  })();
  const errDecoder = new TextDecoder();
  void (async () => {
    for await (const chunk of gateway.stderr) err += errDecoder.decode(chunk, { stream: true });
  })();
  /** Waits for `check`, failing at once if the gateway exits, and with its stderr either way. */
  const whileRunning = async <T>(
    what: string,
    check: () => T | undefined,
    timeoutMs?: number,
  ): Promise<T> => {
    try {
      return await waitForValue(
        what,
        () => {
          if (exitCode !== undefined) throw new Error(`the gateway exited (${exitCode}) waiting for ${what}`);
          return check();
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; the gateway's stderr:\n${err}`);
    }
  };
  try {
    const [, key, port] =
      (await whileRunning(
        "the admin key and the listening line",
        () => out.match(/(mgw_\S+)[\s\S]*serving on http:\/\/127\.0\.0\.1:(\d+)/) ?? undefined,
        30_000,
      )) ?? [];

    /** What the gateway built so far. */
    const made = async (): Promise<SchemaBuilds> => {
      rmSync(builds, { force: true });
      gateway.kill("SIGUSR2");
      const text = await whileRunning("the schema builds", () => {
        try {
          return readFileSync(builds, "utf8");
        } catch {
          return undefined;
        }
      });
      return JSON.parse(text) as SchemaBuilds;
    };

    const atStart = await made();
    // Every holder is one of the deferred sets: a start builds none, whoever would call it.
    expect(atStart.holders).toEqual([]);
    // The recording sees the start's own schemas (the config's), so an empty list is no pass.
    expect(atStart.files).toContain("config/config-schema.ts");
    expect(atStart.files.filter((file) => DEFERRED.includes(file))).toEqual([]);

    const answer = await fetch(`http://127.0.0.1:${port}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": key ?? "",
        "content-type": "application/json",
        "anthropic-version": "2023-06-01",
      },
      body: JSON.stringify({ model: "mock", max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(answer.status).toBe(200);
    const afterMessages = await made();
    expect(afterMessages.holders).toContain("Anthropic Messages' schemas");
    expect(afterMessages.files).toContain("translate/anthropic-schema.ts");
  } finally {
    gateway.kill("SIGKILL");
    await gateway.exited;
  }
}, 60_000);
