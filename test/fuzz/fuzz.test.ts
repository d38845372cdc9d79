import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { ConfigError } from "../../src/config/config-error.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../../src/config/load-config.ts";
import { GatewayError } from "../../src/core/gateway-error.ts";
import { SseScanner } from "../../src/core/sse-scanner.ts";
import { createGateway } from "../../src/gateway/create-gateway.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { seededRandom } from "../../src/testing/seeded-random.ts";
import { createWorkerConnection } from "../../src/workers/gateway/worker-connection.ts";
import { createWorkerRegistry } from "../../src/workers/gateway/worker-registry.ts";

// Bounded fuzzing, in the suite: each target gets mutations of its committed seed corpus
// (test/fuzz/corpus/<target>/) from a seeded generator, so a failure names the seed and input
// and replays exactly. FUZZ_RUNS raises the count for a longer local run; FUZZ_SEED picks
// another sequence. A crash (an exception that is not the gateway's own refusal) or a 500
// fails the build.

const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
// Bounded by RUNS, not by the clock: on a loaded machine a target may take several seconds.
setDefaultTimeout(120_000);
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);

/** The seeded generator (mulberry32), with the picks the targets make. */
function generator(seed: number) {
  const next = seededRandom(seed);
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(list: readonly T[]) => list[Math.floor(next() * list.length)] as T,
  };
}

/** Tokens that break parsers more often than random bytes do. */
const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  '"',
  "\\",
  ":",
  ",",
  "\n",
  "\r",
  "\r\n",
  "\n\n",
  "\u0000",
  "\u001b[2J",
  "\ud800",
  "null",
  "true",
  "-1",
  "1e309",
  "NaN",
  "9007199254740993",
  '"__proto__"',
  '{"constructor":{"prototype":{}}}',
  "data:",
  "event:",
  ": ",
  "[DONE]",
  "$" + "{X}", // config interpolation
  "$" + "{X:-y}",
  "*",
  "%",
  "'",
  "=cmd",
  "0ms",
  "99999d",
  "&",
  "=",
  "x".repeat(5000),
  "[".repeat(300),
  "]".repeat(300),
];

/** One mutation of a seed: flip, insert, delete, duplicate, truncate or splice. */
function mutate(seed: string, rng: ReturnType<typeof generator>, others: readonly string[]): string {
  let text = seed;
  for (let n = 1 + rng.int(4); n > 0; n--) {
    const at = rng.int(text.length + 1);
    switch (rng.int(6)) {
      case 0:
        text = text.slice(0, at) + String.fromCharCode(rng.int(256)) + text.slice(at + 1);
        break;
      case 1:
        text = text.slice(0, at) + rng.pick(TOKENS) + text.slice(at);
        break;
      case 2:
        text = text.slice(0, at) + text.slice(at + 1 + rng.int(20));
        break;
      case 3:
        text = text.slice(0, at) + text.slice(at, at + rng.int(50)) + text.slice(at);
        break;
      case 4:
        text = text.slice(0, at);
        break;
      default: {
        const other = rng.pick(others);
        text = text.slice(0, at) + other.slice(rng.int(other.length));
      }
    }
  }
  return text;
}

function corpus(target: string): string[] {
  const dir = join(import.meta.dir, "corpus", target);
  return readdirSync(dir).flatMap((file) => {
    const text = readFileSync(join(dir, file), "utf8");
    return file.endsWith(".txt") && target === "audit" ? text.split("\n").filter(Boolean) : [text];
  });
}

/** Runs `check` on every seed and RUNS mutations; rethrows with the input that failed. */
async function fuzz(target: string, check: (input: string) => void | Promise<void>): Promise<void> {
  const seeds = corpus(target);
  const rng = generator(SEED ^ target.length);
  const inputs = [...seeds, ...Array.from({ length: RUNS }, () => mutate(rng.pick(seeds), rng, seeds))];
  for (const [i, input] of inputs.entries()) {
    try {
      await check(input);
    } catch (error) {
      throw new Error(
        `fuzz ${target} #${i} (FUZZ_SEED=${SEED}) failed on ${JSON.stringify(input.slice(0, 400))}: ${error}`,
      );
    }
  }
}

/** A query string as a client could send it: its UTF-8 bytes, `&` and `=` kept, the rest escaped. */
const queryBytes = (query: string) =>
  [...Buffer.from(query, "utf8")]
    .map((b) =>
      b > 0x20 && b < 0x7f && b !== 0x23 && b !== 0x25
        ? String.fromCharCode(b)
        : `%${b.toString(16).padStart(2, "0")}`,
    )
    .join("");

describe("fuzz", () => {
  test("front door request bodies: never a 500, always a JSON answer in the caller's dialect", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mindgw-fuzz-"));
    let adminKey = "";
    const gateway = await createGateway({
      config: parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path: join(dir, "gw.db") } }),
      logger: silentLogger,
      onBootstrapKey: (key) => {
        adminKey = key;
      },
    });
    const paths = [
      "/v1/chat/completions",
      "/v1/messages",
      "/v1/responses",
      "/v1/embeddings",
      "/v1/completions",
    ];
    const rng = generator(SEED);
    try {
      await fuzz("bodies", async (body) => {
        const response = await gateway.handle(
          new Request(`http://localhost${rng.pick(paths)}`, {
            method: "POST",
            headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
            body,
          }),
        );
        const text = await response.text();
        expect(response.status).not.toBe(500);
        expect(response.headers.get("x-request-id")).toBeTruthy();
        if (!response.headers.get("content-type")?.includes("text/event-stream")) JSON.parse(text);
      });
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("audit filters: every query string is answered, never with a 500", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mindgw-fuzz-"));
    let adminKey = "";
    const gateway = await createGateway({
      config: parseConfig({ ...EMBEDDED_DEFAULTS, storage: { path: join(dir, "gw.db") } }),
      logger: silentLogger,
      onBootstrapKey: (key) => {
        adminKey = key;
      },
    });
    try {
      await fuzz("audit", async (query) => {
        const response = await gateway.handle(
          new Request(`http://localhost/admin/api/audit?${queryBytes(query)}`, {
            headers: { authorization: `Bearer ${adminKey}` },
          }),
        );
        expect(response.status).not.toBe(500);
        JSON.parse(await response.text());
      });
    } finally {
      await gateway.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("SSE scanner: any bytes, any split; only the line bound may refuse them", async () => {
    const encoder = new TextEncoder();
    const rng = generator(SEED + 1);
    await fuzz("sse", (text) => {
      const bytes = encoder.encode(text);
      const scanner = new SseScanner(4096);
      let pending = new Uint8Array(0);
      let at = 0;
      try {
        while (at < bytes.length) {
          const step = 1 + rng.int(64);
          const chunk = bytes.subarray(at, at + step);
          at += step;
          const buf = new Uint8Array(pending.length + chunk.length);
          buf.set(pending);
          buf.set(chunk, pending.length);
          const consumed = scanner.scan(buf, {
            onSpan: (span) => {
              expect(span.start).toBeGreaterThanOrEqual(0);
              expect(span.end).toBeLessThanOrEqual(buf.length);
              expect(span.start).toBeLessThan(span.end);
            },
          });
          expect(consumed).toBeLessThanOrEqual(buf.length);
          pending = buf.subarray(consumed);
        }
      } catch (error) {
        if (!(error instanceof GatewayError)) throw error;
      }
    });
  });

  test("worker frames: the gateway's connection never throws, it closes with a reason", async () => {
    await fuzz("frames", (text) => {
      const registry = createWorkerRegistry({ heartbeatMs: 60_000 });
      const closes: number[] = [];
      const connection = createWorkerConnection({
        registry,
        identity: { role: "worker", credential: "key", name: "fuzz", tenant: "default", models: ["*"] },
        transport: { send: () => {}, close: (code) => void closes.push(code) },
        log: () => {},
        drainMs: () => 30_000,
        maxMessageBytes: 64 * 1024,
      });
      connection.message('{"type":"register","v":2,"name":"w","version":"1","models":["m"],"concurrency":2}');
      connection.message(text);
      connection.message(new TextEncoder().encode(text));
      connection.closed(1000, "done");
      registry.close();
      for (const code of closes) expect(code).toBeGreaterThanOrEqual(1000);
    });
  });

  test("config files: a bad file is a ConfigError naming what is wrong, never a crash", async () => {
    await fuzz("config", (text) => {
      let document: unknown;
      try {
        document = parseYaml(text, { logLevel: "silent" });
      } catch {
        return; // the loader reports unparsable YAML as a ConfigError of its own
      }
      try {
        parseConfig(document, { KEY: "k" });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        expect(error.problems.length).toBeGreaterThan(0);
      }
    });
  });
});
