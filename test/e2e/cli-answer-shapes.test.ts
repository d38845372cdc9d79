import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(60_000);

// What the admin commands make of a --gateway whose 200 holds the answer's field but not a
// gateway's answer: another server's API, or a gateway that answers without a field every release
// has sent. Each is a usage error naming what is no gateway's (exit 2), as `keys` and `audit query`
// say it (cli-gateway-errors.test.ts), never a script error (exit 1).

/** A real gateway: what it answers is what every check below must take. */
const fx = gatewayFixture({ config: { tenants: [{ name: "team-a", budget: { usd: 5, per: "month" } }] } });
const ADMIN_KEY = "mgw_shapeshapeshapeshapeshapeshapeshapeshapesh";

/** A loopback server answering `answers[path]` (JSON) on every path it holds, `{}` elsewhere. */
function answering(answers: Record<string, unknown>): string {
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: (request) => Response.json(answers[new URL(request.url).pathname] ?? {}),
  });
  fx.deferTest(() => server.stop(true));
  return `http://127.0.0.1:${server.port}`;
}

const refusal = (gateway: string, path: string, fault: string) =>
  `mindgw: --gateway ${gateway} is not a mindgw gateway: ${path} answered HTTP 200 with JSON ${fault}; give the gateway's URL (with the path a proxy serves it under, if any)\n`;

/** A tenant as every gateway since tenants came has answered it. */
const tenant = {
  name: "team-a",
  models: ["gpt-*"],
  rpm: 600,
  tpm: null,
  budget: { usd: 500, per: "month" },
  keys: 3,
  period: { from: 1_767_225_600_000, to: 1_769_904_000_000 },
  usage: { requests: 12, inputTokens: 300, outputTokens: 80, costUsd: 1.5 },
  remainingUsd: 498.5,
};

/** A model's shadow figures as every gateway since the shadow report came has answered them. */
const aggregate = {
  model: "gpt-4o-mini",
  pairs: 2,
  shadowOk: 2,
  exactRate: 0.5,
  meanSimilarity: 0.9,
  shadowJsonValidRate: null,
  toolAgreementRate: null,
  primaryLatencyMsMean: 400,
  shadowLatencyMsMean: 600,
  primaryCostUsd: 0.002,
  shadowCostUsd: 0,
};

describe("tenants and shadow report: an answer holding its field, shaped otherwise", () => {
  test("exit 2 naming what is no gateway's, never a script error", async () => {
    // Only the top-level field was checked: `{"tenants":[1]}` ended `mindgw tenants` on
    // "undefined is not an object (evaluating 't.budget')", exit 1, and shadow report alike.
    const cases = [
      [
        ["tenants"],
        "/admin/api/tenants",
        { tenants: [1] },
        'whose "tenants.0" is no gateway\'s (expected an object)',
      ],
      [
        ["tenants"],
        "/admin/api/tenants",
        { tenants: [{ ...tenant, usage: 7 }] },
        'whose "tenants.0.usage" is no gateway\'s (expected an object)',
      ],
      [
        ["tenants"],
        "/admin/api/tenants",
        { tenants: [{ ...tenant, name: undefined }] },
        'without "tenants.0.name"',
      ],
      [
        ["shadow", "report"],
        "/admin/api/shadow",
        { records: [], nextCursor: null, aggregates: [1] },
        'whose "aggregates.0" is no gateway\'s (expected an object)',
      ],
      [["shadow", "report"], "/admin/api/shadow", { records: [] }, 'without "nextCursor"'],
      [
        ["shadow", "report"],
        "/admin/api/shadow",
        { records: 5, nextCursor: null, aggregates: [] },
        'whose "records" is no gateway\'s (expected a list)',
      ],
      [
        ["shadow", "report"],
        "/admin/api/shadow",
        { records: [], nextCursor: null, aggregates: [{ ...aggregate, pairs: "2" }] },
        'whose "aggregates.0.pairs" is no gateway\'s (expected a number)',
      ],
      [
        ["shadow", "report"],
        "/admin/api/shadow",
        {
          records: [],
          nextCursor: null,
          aggregates: [aggregate],
          counts: { shed: 0, inFlight: 0, ended: 3 },
        },
        'whose "counts.ended" is no gateway\'s (expected a list)',
      ],
    ] as const;
    for (const [command, path, answer, fault] of cases) {
      const gateway = answering({ [path]: answer });
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", ADMIN_KEY]);
      expect({ command, answer, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        answer,
        code: 2,
        stdout: "",
        stderr: refusal(gateway, path, fault),
      });
    }
  });

  test("a gateway's answer, and one of a release before shadow copy counts: printed, exit 0", async () => {
    for (const command of [["tenants"], ["shadow", "report"], ["shadow", "report", "--json"]]) {
      const out = await runMindgw([...command, "--gateway", fx.gw.url, "--admin-key", fx.adminKey]);
      expect({ command, code: out.code, stderr: out.stderr }).toEqual({ command, code: 0, stderr: "" });
    }
    const older = answering({
      "/admin/api/tenants": { tenants: [tenant] },
      // Before `counts` (and `counts.skipped`) were answered.
      "/admin/api/shadow": { records: [], nextCursor: null, aggregates: [aggregate] },
    });
    for (const [command, shows] of [
      [["tenants"], ["team-a", "$500.0000/month", "380"]],
      [
        ["shadow", "report"],
        ["gpt-4o-mini", "50.0%", "400/600"],
      ],
    ] as const) {
      const out = await runMindgw([...command, "--gateway", older, "--admin-key", ADMIN_KEY]);
      expect({ command, code: out.code, stderr: out.stderr }).toEqual({ command, code: 0, stderr: "" });
      for (const text of shows) expect(out.stdout).toContain(text);
    }
  });
});

/** A key as the first release's gateway answered it: no `chain`, which came later. */
const firstKey = {
  id: "key_1",
  name: "n",
  tenant: "default",
  role: "user",
  models: ["*"],
  rpm: null,
  tpm: null,
  budget_usd: null,
  key_preview: "mgw_AbCd…wxyz",
  status: "active",
  expires_at: null,
  revoked_at: null,
  created_at: "2026-01-02T03:04:05.000Z",
  last_used_at: null,
};

/** An audit record as the first release's gateway answered it: no `app`, no `attempts`. */
const firstRecord = {
  requestId: "req_1",
  startedAt: 1_767_322_800_000,
  keyId: "key_1",
  keyName: "n",
  tenant: null,
  role: "user",
  frontDoor: "chat",
  model: "m",
  route: "provider:up",
  upstreamModel: "m",
  status: 200,
  errorClass: null,
  stream: false,
  latencyMs: 12.5,
  ttfbMs: null,
  inputTokens: 3,
  outputTokens: 4,
  costUsd: 0,
  clientIp: null,
  userAgent: null,
};

const without = <T extends object>(value: T, field: keyof T) =>
  Object.fromEntries(Object.entries(value).filter(([name]) => name !== field));

describe("keys and audit query: an answer leaving out a field the tables read", () => {
  test("one every release has sent: exit 2 naming it, never a script error", async () => {
    // `{"records":[{… no latencyMs}]}` ended audit query on "undefined is not an object (evaluating
    // 'r.latencyMs.toFixed')", exit 1; a key without models keys list on "… 'k.models.join'".
    const cases = [
      [
        ["audit", "query"],
        "/admin/api/audit",
        { records: [without(firstRecord, "latencyMs")], nextCursor: null },
        'without "records.0.latencyMs"',
      ],
      [
        ["audit", "query"],
        "/admin/api/audit",
        { records: [without(firstRecord, "inputTokens")], nextCursor: null },
        'without "records.0.inputTokens"',
      ],
      [
        ["keys", "list"],
        "/admin/api/keys",
        { keys: [without(firstKey, "models")], nextCursor: null },
        'without "keys.0.models"',
      ],
      [
        ["keys", "list"],
        "/admin/api/keys",
        { keys: [without(firstKey, "created_at")], nextCursor: null },
        'without "keys.0.created_at"',
      ],
      [
        ["keys", "rotate", "n"],
        "/admin/api/keys/n/rotate",
        { ...firstKey, key: "mgw_new" },
        'without "previous"',
      ],
    ] as const;
    for (const [command, path, answer, fault] of cases) {
      const gateway = answering({ [path]: answer });
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", ADMIN_KEY]);
      expect({ command, fault, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        fault,
        code: 2,
        stdout: "",
        stderr: refusal(gateway, path, fault),
      });
    }
  });

  test("one a later release added (a key's chain, a record's app and attempts): printed as before, exit 0", async () => {
    const older = answering({
      "/admin/api/keys": { keys: [firstKey], nextCursor: null },
      "/admin/api/audit": { records: [firstRecord], nextCursor: null },
    });
    for (const [command, shows] of [
      [
        ["keys", "list"],
        ["key_1", "mgw_AbCd…wxyz", "2026-01-02T03:04:05"],
      ],
      [
        ["audit", "query"],
        ["12.5", "3/4", "req_1"],
      ],
    ] as const) {
      const out = await runMindgw([...command, "--gateway", older, "--admin-key", ADMIN_KEY]);
      expect({ command, code: out.code, stderr: out.stderr }).toEqual({ command, code: 0, stderr: "" });
      for (const text of shows) expect(out.stdout).toContain(text);
    }
  });
});

describe("the tenants read for a note (keys list and audit query --tenant, none listed)", () => {
  test("a tenants answer shaped otherwise leaves the note out: exit 0, never a script error", async () => {
    // `{"tenants":5}` ended both on "e.tenants.map is not a function", exit 1, after the table.
    const gateway = answering({
      "/admin/api/keys": { keys: [], nextCursor: null },
      "/admin/api/audit": { records: [], nextCursor: null },
      "/admin/api/tenants": { tenants: 5 },
    });
    for (const command of [
      ["keys", "list", "--tenant", "x"],
      ["audit", "query", "--tenant", "x"],
    ]) {
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", ADMIN_KEY]);
      expect({ command, code: out.code, stderr: out.stderr }).toEqual({ command, code: 0, stderr: "" });
    }
  });
});
