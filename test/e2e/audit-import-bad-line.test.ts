import { beforeAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeRecord } from "../../src/audit/audit-fixture.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

// A line of `mindgw audit import` that is no audit row is named in the project's words, one short
// line each: it printed zod's own for every field at fault, `requestId: Invalid input: expected
// string, received undefined; startedAt: …`, twenty of them on one line of 1,500 characters for `{}`.

// No gateway: the import works on the config's store directly.
const fx = gatewayFixture({ fake: null, gateway: false });
let config: string;

beforeAll(async () => {
  config = join(fx.dir, "gw.yaml");
  writeFileSync(config, "storage: { path: ./gw.db }\n");
  expect((await runMindgw(["keys", "create", "-c", config, "--name", "first"])).code).toBe(0);
});

/** `audit import` of `lines`: what it said, and that it exited 2 having printed nothing on stdout. */
async function refusalOf(lines: readonly string[]): Promise<string> {
  const file = join(fx.dir, "rows.ndjson");
  writeFileSync(file, `${lines.join("\n")}\n`);
  const out = await runMindgw(["audit", "import", file, "-c", config, "--no-spend"], { timeoutMs: 30_000 });
  expect({ code: out.code, stdout: out.stdout }).toEqual({ code: 2, stdout: "" });
  expect(out.stderr).toEndWith("\nnothing imported (--skip-bad imports the good lines)\n");
  return out.stderr.slice(
    `mindgw: ${file}: `.length,
    -"\nnothing imported (--skip-bad imports the good lines)\n".length,
  );
}

const good = JSON.stringify(makeRecord({ requestId: "good" }));

test("an object with no field of an audit row: the fields it lacks, a few named and the rest counted", async () => {
  expect(await refusalOf([good, "{}"])).toBe(
    "1 line is not an audit row:\n  line 2: missing requestId, startedAt, keyId, keyName, tenant, role and 14 more fields",
  );
});

test("fields of the wrong type or out of range: each field, what it takes and what it got, never zod's words", async () => {
  const { status: _status, ...noStatus } = makeRecord({ requestId: "r" });
  const many = {
    ...noStatus,
    frontDoor: "side",
    stream: "yes",
    inputTokens: 1.5,
    latencyMs: -1,
    costUsd: "0.1",
  };
  const two = { ...makeRecord({ requestId: "s" }), costUsd: "0.1", latencyMs: -1 };
  expect(await refusalOf([JSON.stringify(many), JSON.stringify(two)])).toBe(
    [
      "2 lines are not an audit row:",
      "  line 1: missing status; frontDoor: expected chat, completions, embeddings, responses, stored_responses, responses_socket, messages, count_tokens, models, admin, workers or other; stream: expected true or false, got text; latencyMs: must be at least 0; and 2 more fields wrong",
      "  line 2: latencyMs: must be at least 0; costUsd: expected a number, got text",
    ].join("\n"),
  );
});

test("JSON that is no object, and a line that is no JSON, say so", async () => {
  expect(await refusalOf(["[1,2]", "null", "{nope"])).toMatch(
    /^3 lines are not an audit row:\n {2}line 1: a JSON array, not an object: a row is one object a line\n {2}line 2: null, not an object: a row is one object a line\n {2}line 3: not JSON \([^\n]+\)$/,
  );
});
