import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BEDROCK_RUNTIME, STS } from "../src/providers/bedrock/aws-endpoint.ts";
import { OFF_CLOUD_ENV } from "../src/testing/off-cloud-env.ts";

// The rules that keep the suite honest (issue 12), checked on every file so they stay true:
// - nothing is skipped: a missing tool fails its test, it does not pass quietly without it;
// - no fixed sleeps in tests, end-to-end or unit: a test waits for a condition with a deadline
//   (`waitFor`/`waitForValue` in src/testing/wait-for.ts) or injects a clock. A sleep that *is* the stimulus (a client
//   that stops reading for three idle bounds, a source that trickles) says so in a comment on its
//   line or the line above ("stimulus"). With sleeps gone, a poll loop can only be `waitFor`,
//   which always has a deadline, so there are no unbounded polls either;
// - e2e files start gateways through the shared fixture (test/e2e/harness/gateway-fixture.ts),
//   not with their own start/stop code;
// - nothing a test starts reaches the host's cloud metadata service or credential endpoints: the
//   test process runs in the off-cloud environment (src/testing/off-cloud-env.ts, preloaded), and
//   a spawn of the gateway, a worker or a `bun` child passes it on (`env: childEnv(…)`), since a
//   spawn without `env` gets the environment the test process started with; so does any spawn
//   that gives an `env`, which built from nothing or behind a variable would not show it has the
//   off-cloud one (one that needs its own environment says why in an `// off-cloud:` comment in
//   the call). Checked in every test file and test helper, under test/ and src/ alike. Every AWS,
//   Azure and Google setting the gateway reads (`env.X`, `env["X"]`, or destructured from an
//   environment) is one of the off-cloud environment's, so none of
//   the host's (LocalStack's AWS_ENDPOINT_URL, a FIPS runner's AWS_USE_FIPS_ENDPOINT, a sovereign
//   cloud's AZURE_AUTHORITY_HOST) changes a result.

const ROOT = join(import.meta.dir, "..");
const files = (pattern: string, under: string) =>
  [...new Bun.Glob(pattern).scanSync({ cwd: join(ROOT, under) })].map((path) => `${under}/${path}`);

const testFiles = files("**/*.test.ts", "test");
const allTestFiles = [...testFiles, ...files("**/*.test.ts", "src")];
/** Where sleeps and process spawning are the point: the helpers everyone else waits through. */
const HARNESS = /^test\/e2e\/(harness|clients)\//;
const THIS_FILE = "test/suite-rules.test.ts";

interface Hit {
  file: string;
  line: number;
  text: string;
}

function grep(
  paths: string[],
  pattern: RegExp,
  exempt: (lines: string[], index: number) => boolean = () => false,
) {
  const hits: Hit[] = [];
  for (const file of paths) {
    if (file === THIS_FILE) continue;
    const lines = readFileSync(join(ROOT, file), "utf8").split("\n");
    lines.forEach((text, index) => {
      if (pattern.test(text) && !exempt(lines, index))
        hits.push({ file, line: index + 1, text: text.trim() });
    });
  }
  return hits;
}

/** Each `Bun.spawn(…)`/`Bun.spawnSync(…)` call's text, its parentheses balanced, with where it starts. */
function spawnCalls(paths: string[]): Hit[] {
  const calls: Hit[] = [];
  for (const file of paths) {
    if (file === THIS_FILE) continue;
    const text = readFileSync(join(ROOT, file), "utf8");
    for (const found of text.matchAll(/Bun\.spawn(Sync)?\s*\(/g)) {
      let depth = 0;
      let end = found.index;
      for (; end < text.length; end++) {
        if (text[end] === "(") depth++;
        else if (text[end] === ")" && --depth === 0) break;
      }
      const line = text.slice(0, found.index).split("\n").length;
      calls.push({ file, line, text: text.slice(found.index, end + 1) });
    }
  }
  return calls;
}

const CLOUD_SETTING = "(?:AWS|AZURE|IDENTITY|GOOGLE|GCE|GEMINI|CLOUDSDK)_\\w+";
/** `env.X`, `env["X"]` (`process.env`, `Bun.env` alike). */
const READ_BY_NAME = new RegExp(`\\benv(?:\\.|\\[\\s*["'\`])(${CLOUD_SETTING})`, "g");
/** `const { X: x, Y = "" } = env`: the braces, a name at each key's place. */
const DESTRUCTURED = /\{([^{}]*)\}\s*=\s*(?:process\.|Bun\.)?env\b/g;
const DESTRUCTURED_KEY = new RegExp(`(?:^|,)\\s*(${CLOUD_SETTING})`, "g");

/**
 * The settings of the clouds' prefixes `source` reads from an environment, by name or index or
 * destructured (entra-environment.ts: `const { AZURE_TENANT_ID: tenant_id, … } = env`).
 */
function cloudSettingsRead(source: string): string[] {
  const byName = [...source.matchAll(READ_BY_NAME)].map(([, name]) => name ?? "");
  const destructured = [...source.matchAll(DESTRUCTURED)].flatMap(([, keys]) =>
    [...(keys ?? "").matchAll(DESTRUCTURED_KEY)].map(([, name]) => name ?? ""),
  );
  return [...byName, ...destructured];
}

const saysStimulus = (lines: string[], index: number) =>
  [lines[index], lines[index - 1]].some((line) => /\/\/.*stimulus/i.test(line ?? ""));
/** A sleep raced against what a test waits for is its deadline, not a wait: `Promise.race([exited, Bun.sleep(ms)])`. */
const isDeadline = (line: string) => /Promise\.race\(\[.*Bun\.sleep\s*\(/.test(line);

describe("suite rules", () => {
  test("the globs see the suite (a wrong root would make every rule pass)", () => {
    expect(testFiles.length).toBeGreaterThan(50);
    expect(testFiles).toContain("test/e2e/errors.test.ts");
  });

  test("no skipped, focused or todo tests anywhere", () => {
    const skips = grep(
      allTestFiles,
      /\b(test|it|describe)\s*\.\s*(skip|skipIf|todo|only|if|todoIf)\b|\bskipIf\s*\(|\bsetDefaultSkip\b/,
    );
    expect(skips).toEqual([]);
  });

  test("no fixed sleeps in tests outside the harness (waitFor, or a commented stimulus)", () => {
    const sleeps = grep(
      allTestFiles.filter((file) => !HARNESS.test(file)),
      // Any Bun.sleep (awaited, returned, chained), a timer that resolves a wait, however written.
      /Bun\.sleep\s*\(|Bun\.sleepSync\s*\(|setTimeout\s*\(\s*(\(\)\s*=>\s*)?(resolve|r|res|done|ok|wake)\b|new Promise[^;]*setTimeout/,
      (lines, index) => saysStimulus(lines, index) || isDeadline(lines[index] ?? ""),
    );
    expect(sleeps).toEqual([]);
  });

  test("e2e files start gateways through the shared fixture, not their own spawn code", () => {
    const own = grep(
      testFiles.filter((file) => file.startsWith("test/e2e/") && !HARNESS.test(file)),
      /\bspawnGateway\s*\(|\bspawnNode\s*\(|Bun\.spawn\s*\(\s*\[\s*MINDGW\s*,\s*"serve"/,
    );
    expect(own).toEqual([]);
  });

  test("every test process runs off the host's cloud, and passes that on to what it starts", () => {
    expect(readFileSync(join(ROOT, "bunfig.toml"), "utf8")).toContain("./src/testing/keep-off-cloud.ts");
    expect(process.env).toMatchObject(OFF_CLOUD_ENV);
    const sources = new Set([
      ...files("**/*.ts", "test"),
      ...files("**/*.test.ts", "src"),
      ...files("**/testing/**/*.ts", "src"),
    ]);
    const bare = spawnCalls([...sources])
      .filter(
        (call) =>
          /\bMINDGW\b|process\.execPath|"bun"|\benv\b/.test(call.text) &&
          !/childEnv\(|\/\/ off-cloud:/.test(call.text),
      )
      .map(({ file, line }) => `${file}:${line}`);
    expect(bare).toEqual([]);
  });

  test("every cloud setting the gateway reads (AWS, Azure, Google) is set by the off-cloud environment", () => {
    const product = files("**/*.ts", "src").filter(
      (file) => !file.endsWith(".test.ts") && !file.startsWith("src/testing/"),
    );
    const read = new Set<string>();
    // `AWS_ENDPOINT_URL_${service.id}` (aws-endpoint.ts): each service the gateway calls.
    for (const file of product)
      for (const name of cloudSettingsRead(readFileSync(join(ROOT, file), "utf8")))
        for (const full of name.endsWith("_") ? [BEDROCK_RUNTIME, STS].map(({ id }) => name + id) : [name])
          read.add(full);
    expect(read.size).toBeGreaterThan(30);
    expect([...read].filter((name) => !(name in OFF_CLOUD_ENV)).sort()).toEqual([]);
  });

  test("the cloud-setting rule sees a read however it is written: a name, an index, a destructuring", () => {
    const planted = [
      "const region = env.AWS_PLANTED_REGION;",
      'const host = env["AZURE_PLANTED_HOST"];',
      "const { AZURE_PLANTED_TENANT: tenant, GOOGLE_PLANTED_PROJECT } = env;",
      'const {\n  CLOUDSDK_PLANTED_CONFIG = "",\n  other,\n} = process.env;',
    ].join("\n");
    expect(cloudSettingsRead(planted).sort()).toEqual([
      "AWS_PLANTED_REGION",
      "AZURE_PLANTED_HOST",
      "AZURE_PLANTED_TENANT",
      "CLOUDSDK_PLANTED_CONFIG",
      "GOOGLE_PLANTED_PROJECT",
    ]);
  });
});
