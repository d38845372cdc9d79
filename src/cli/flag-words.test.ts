import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GatewayError } from "../core/gateway-error.ts";
import { childEnv, onlyPath } from "../testing/off-cloud-env.ts";
import { GatewayCallError } from "./admin-fetch.ts";
import { EXIT, UsageError } from "./exit-code.ts";
import { inFlagWords, withFlagWords } from "./flag-words.ts";

// A refusal of what a flag gave names the flag (`--budget`), not the API's field (`budget_usd`),
// whose spelling the user of the command line never typed.

// Each command is a process of its own: about a second a start, on a shared machine.
setDefaultTimeout(60_000);

const main = join(import.meta.dir, "../main.ts");
const dir = mkdtempSync(join(tmpdir(), "mindgw-flag-words-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `mindgw …` from source in `cwd`, with none of the MINDGW_* fallbacks of this process. */
function mindgw(args: string[], cwd = dir) {
  const run = Bun.spawnSync([process.execPath, main, ...args], {
    cwd,
    env: childEnv({ HOME: tmpdir() }, onlyPath),
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: run.exitCode, stdout: run.stdout.toString(), stderr: run.stderr.toString() };
}

describe("inFlagWords", () => {
  const fields = ["rpm", "budget_usd", "expires_in", "expires_at", "tenant"];
  const flagOf = { budget_usd: "--budget" };

  test("the field a refusal starts with is its flag; a field with _ named further on is too", () => {
    expect(inFlagWords("budget_usd: expected a number", fields, { flagOf })).toBe(
      "--budget: expected a number",
    );
    expect(inFlagWords("rpm: expected a whole number", fields)).toBe("--rpm: expected a whole number");
    expect(inFlagWords("expires_in: give expires_at or expires_in, not both", fields)).toBe(
      "--expires-in: give --expires-at or --expires-in, not both",
    );
  });

  test("a message that starts with no field, and a value quoted back, are left as they were", () => {
    expect(inFlagWords('no key with id or name "expires_at"', fields)).toBe(
      'no key with id or name "expires_at"',
    );
    expect(inFlagWords('tenant: "expires_at" is not a configured tenant', fields)).toBe(
      '--tenant: "expires_at" is not a configured tenant',
    );
    expect(inFlagWords("model: too long", fields)).toBe("model: too long");
  });

  test("a 400 of the store's checks becomes a usage error; a gateway's refusal keeps its exit code", () => {
    const local = withFlagWords(
      new GatewayError({ status: 400, code: "invalid_request", message: "rpm: x" }),
      ["rpm"],
    );
    expect(local).toBeInstanceOf(UsageError);
    expect((local as Error).message).toBe("--rpm: x");
    const remote = withFlagWords(new GatewayCallError("gateway refused: rpm: x", EXIT.usage), ["rpm"]);
    expect(remote).toBeInstanceOf(GatewayCallError);
    expect([(remote as GatewayCallError).message, (remote as GatewayCallError).exitCode]).toEqual([
      "gateway refused: --rpm: x",
      EXIT.usage,
    ]);
    const other = new GatewayCallError("cannot reach the gateway at http://gw", EXIT.failure);
    expect(withFlagWords(other, ["rpm"])).toBe(other);
  });
});

describe("the commands", () => {
  test("keys create: a refused key names its flag, exit 2, and leaves no new database behind", () => {
    const config = join(dir, "create.yaml");
    writeFileSync(config, "storage: { path: ./create.db }\ntenants: [ { name: team-a } ]\n");
    const cases: [string[], string][] = [
      [["--budget", "abc"], "mindgw: --budget: expected a number\n"],
      // zod's own words, where a flag's are wanted: 'Invalid option: expected one of "admin"|"user"|"worker"',
      // 'Too small: expected string to have >=1 characters', 'models.0: Too big: …' (no flag named).
      [["--role", "root"], "mindgw: --role: expected admin, user or worker\n"],
      [["--name", ""], "mindgw: --name: empty\n"],
      [["--name", "n".repeat(101)], "mindgw: --name: at most 100 characters\n"],
      [["--tenant", "t".repeat(101)], "mindgw: --tenant: at most 100 characters\n"],
      [["--models", `gpt-*,${"m".repeat(201)}`], "mindgw: --models (entry 2): at most 200 characters\n"],
      [["--expires-in", "0s"], "mindgw: --expires-in: expected a duration above 0, like 30d\n"],
      [
        ["--tenant", "team-b"],
        'mindgw: --tenant: "team-b" is not a configured tenant; known tenants: team-a (or "default" for a key outside every tenant)\n',
      ],
    ];
    for (const [flags, said] of cases) {
      const out = mindgw(["keys", "create", "--name", "alice", "-c", config, ...flags]);
      expect({ flags, code: out.code, stderr: out.stderr }).toEqual({ flags, code: 2, stderr: said });
      expect(existsSync(join(dir, "create.db"))).toBe(false);
    }
    const made = mindgw(["keys", "create", "--name", "alice", "-c", config, "--json"]);
    expect(made.code).toBe(0);
    expect(existsSync(join(dir, "create.db"))).toBe(true);
  });

  test("keys update: its flags' words, and none (not leaving the flag out) for no limit", () => {
    const config = join(dir, "update.yaml");
    writeFileSync(config, "storage: { path: ./update.db }\n");
    expect(mindgw(["keys", "create", "--name", "bob", "-c", config]).code).toBe(0);
    const cases: [string[], string][] = [
      [
        [],
        "mindgw: nothing to change: give at least one of --models, --rpm, --tpm, --budget, --expires-in, --expires-at\n",
      ],
      [["--rpm", "0"], "mindgw: --rpm: must be at least 1 (none for no limit)\n"],
      // A whole number too large to hold exactly: it said "expected a whole number".
      [["--tpm", "1e20"], "mindgw: --tpm: at most 9007199254740991 (none for no limit)\n"],
      [["--tpm", "1.5"], "mindgw: --tpm: expected a whole number\n"],
      [["--budget", "-1"], "mindgw: --budget: must be more than 0 (none for no budget)\n"],
      [
        ["--expires-in", "1d", "--expires-at", "2030-01-01T00:00:00Z"],
        "mindgw: --expires-in: give --expires-at or --expires-in, not both\n",
      ],
      [
        ["--expires-at", "2020-01-01T00:00:00Z"],
        "mindgw: --expires-at: is in the past: the key would be born expired\n",
      ],
    ];
    for (const [flags, said] of cases) {
      const out = mindgw(["keys", "update", "bob", "-c", config, ...flags]);
      expect({ flags, code: out.code, stderr: out.stderr }).toEqual({ flags, code: 2, stderr: said });
    }
    const grace = mindgw(["keys", "rotate", "bob", "-c", config, "--grace", "soon"]);
    expect([grace.code, grace.stderr]).toEqual([
      2,
      "mindgw: --grace: expected a duration like 10m, 12h, 30d\n",
    ]);
  });

  test("audit query and shadow report: a refused filter names its flag; a span past 1970 is everything, not a refusal", () => {
    const config = join(dir, "audit.yaml");
    writeFileSync(config, "storage: { path: ./audit.db }\n");
    expect(mindgw(["keys", "create", "--name", "carol", "-c", config]).code).toBe(0);
    // A count's range in the words of every numeric flag (`--rpm: must be at least 1`), not zod's
    // ("Too small: expected number to be >=1"), which the HTTP API keeps.
    for (const [command, given, said] of [
      ["audit query", "0", "must be at least 1"],
      ["audit query", "1001", "at most 1000"],
      // Whole, just too big to hold exactly: it said "expected a whole number in decimal digits".
      ["audit query", "99999999999999999999", "at most 1000"],
      ["shadow report", "0", "must be at least 1"],
      ["shadow report", "501", "at most 500"],
      ["shadow report", "9".repeat(400), "at most 500"],
    ] as const) {
      const limit = mindgw([...command.split(" "), "-c", config, "--limit", given]);
      expect([command, limit.code, limit.stderr]).toEqual([command, 2, `mindgw: --limit: ${said}\n`]);
    }
    // Number() read each of these as a count: `0x10` as 16, `1e2` as 100, ` 5` as 5.
    for (const given of ["0x10", "1e2", " 5", "5.0", "+5"]) {
      const loose = mindgw(["audit", "query", "-c", config, "--limit", given]);
      expect({ given, code: loose.code, stderr: loose.stderr }).toEqual({
        given,
        code: 2,
        stderr: "mindgw: --limit: expected a whole number in decimal digits (16, not 0x10 or 1e2)\n",
      });
    }
    expect(mindgw(["audit", "query", "-c", config, "--limit", "16"]).code).toBe(0);
    for (const [flag, given, said] of [
      ["--order", "newest", "expected asc or desc"],
      ["--cursor", "c".repeat(201), "at most 200 characters"],
    ] as const) {
      const out = mindgw(["audit", "query", "-c", config, flag, given]);
      expect([flag, out.code, out.stderr]).toEqual([flag, 2, `mindgw: ${flag}: ${said}\n`]);
    }
    // It said "invalid cursor", naming no flag.
    const cursor = mindgw(["audit", "query", "-c", config, "--cursor", "garbage"]);
    expect([cursor.code, cursor.stderr]).toEqual([2, "mindgw: --cursor: not a page's next cursor\n"]);
    const from = mindgw(["audit", "query", "-c", config, "--from", "yesterday"]);
    expect(from.code).toBe(2);
    expect(from.stderr).toStartWith("mindgw: --from: expected epoch milliseconds");
    const keyId = mindgw(["shadow", "report", "-c", config, "--key-id", ""]);
    expect([keyId.code, keyId.stderr]).toEqual([2, "mindgw: --key-id: empty\n"]);
    // 999999999 days before now is before 1970: every row since, as a shorter span would be.
    for (const args of [
      ["audit", "query", "--since", "999999999d"],
      ["audit", "export", "--from", "999999999d"],
      ["shadow", "report", "--since", "999999999d"],
    ]) {
      const out = mindgw([...args, "-c", config]);
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({ args, code: 0, stderr: "" });
    }
    // A range that ends where or before it starts holds no time: it printed an empty page, exit 0,
    // as if nothing had been recorded (`--since 0s` is refused for the same reason).
    for (const [args, start] of [
      [["audit", "query", "--from", "2030-01-01", "--to", "2020-01-01"], "--from"],
      [["audit", "export", "--from", "2026-01-01", "--to", "2026-01-01"], "--from"],
      [["audit", "query", "--since", "1h", "--to", "2h"], "--since"],
    ] as const) {
      const out = mindgw([...args, "-c", config]);
      expect({ args, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        args,
        code: 2,
        stdout: "",
        stderr: `mindgw: --to: not after ${start}: no time lies between them, so no row could match (${start} is inclusive, --to exclusive)\n`,
      });
    }
  });
});
