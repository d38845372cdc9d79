import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitForValue } from "../testing/wait-for.ts";

// Issue 11's idle RSS: a zod schema is a few hundred bytes of objects and closures, and a gateway
// on the embedded defaults never reads most of ours at start. Those of another dialect's bodies
// (the translations') are made on the first body a translation reads (core/built-on-first-use.ts):
// ~1 MB of idle RSS (docs/BENCHMARKS-HISTORY.md, session 47). The code stays in the chunks read
// at start (test/build/start-chunks.test.ts reads those); what is guarded here is what runs. A
// real `mindgw serve` from source, on the embedded defaults, with a preload that records which
// of our files were on the stack as each schema was made (testing/record-schema-builds.ts).

const ROOT = join(import.meta.dir, "../..");
const dir = mkdtempSync(join(tmpdir(), "mindgw-start-schemas-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Made on first use: none of them by a start. */
const DEFERRED = [
  "translate/openai-schema.ts",
  "translate/anthropic-schema.ts",
  "translate/responses/responses-schema.ts",
  "shadow/shadow-api-schema.ts",
  "auth/key-admin-schemas.ts",
];

test("a start on the embedded defaults makes none of the translations' schemas; the first Messages request to the mock (a chat route) makes Anthropic's", async () => {
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
    { cwd: dir, env: { ...process.env, MINDGW_SCHEMA_BUILDS: builds }, stdout: "pipe", stderr: "pipe" },
  );
  try {
    let out = "";
    const decoder = new TextDecoder();
    void (async () => {
      for await (const chunk of gateway.stdout) out += decoder.decode(chunk, { stream: true });
    })();
    const [, key, port] =
      (await waitForValue(
        "the admin key and the listening line",
        () => out.match(/(mgw_\S+)[\s\S]*serving on http:\/\/127\.0\.0\.1:(\d+)/),
        30_000,
      )) ?? [];

    /** Our files on the stack as schemas were made, so far. */
    const made = async (): Promise<string[]> => {
      rmSync(builds, { force: true });
      gateway.kill("SIGUSR2");
      const text = await waitForValue("the schema builds", () => {
        try {
          return readFileSync(builds, "utf8");
        } catch {
          return undefined;
        }
      });
      return JSON.parse(text) as string[];
    };

    const atStart = await made();
    // The recording sees the start's own schemas (the config's), so an empty list is no pass.
    expect(atStart).toContain("config/config-schema.ts");
    expect(atStart.filter((file) => DEFERRED.includes(file))).toEqual([]);

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
    expect(await made()).toContain("translate/anthropic-schema.ts");
  } finally {
    gateway.kill("SIGKILL");
    await gateway.exited;
  }
}, 60_000);
