import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(60_000);

// The admin commands through --gateway when it goes wrong, as a user types them. A command given
// --json that fails prints nothing on stdout, only its one-line error on stderr: a script reading
// it (`mindgw keys list --json | jq …`) gets no half document to choke on (`keys list --json` wrote
// `{ "keys": [` before its first page came, and left it there when the gateway was down or refused
// the admin key). A refused admin key and a --gateway with no admin API say what to check.

const fx = gatewayFixture({ models: ["m1"] });

/** Every admin command that prints JSON (audit query's NDJSON, audit export's), through a gateway. */
const COMMANDS = [
  ["keys", "list", "--json"],
  ["keys", "show", "someone", "--json"],
  ["tenants", "--json"],
  ["audit", "query", "--json"],
  ["audit", "export"],
  ["shadow", "report", "--json"],
];

/** A place nothing listens on. */
const closedPlace = () => `http://127.0.0.1:${freePort()}`;

describe("--json output when the command fails before its first answer", () => {
  for (const command of COMMANDS) {
    const name = command.join(" ");

    test(`${name}: a gateway down or a wrong admin key prints nothing on stdout, one line on stderr`, async () => {
      const down = closedPlace();
      for (const [gateway, adminKey, code] of [
        [down, fx.adminKey, 1],
        [fx.gw.url, "mgw_wrongwrongwrongwrongwrongwrongwrongwrongwro", 2],
      ] as const) {
        const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", adminKey]);
        expect({
          gateway,
          code: out.code,
          stdout: out.stdout,
          lines: out.stderr.trimEnd().split("\n").length,
        }).toEqual({
          gateway,
          code,
          stdout: "",
          lines: 1,
        });
      }
    });
  }
});

describe("what a refused admin key or a wrong --gateway path says", () => {
  const admin = (gateway: string, adminKey: string, ...command: string[]) =>
    runMindgw([...command, "--gateway", gateway, "--admin-key", adminKey]);

  test("an admin key wrong, revoked or expired: exit 2, naming the key to check, never quoting it; such a key changed says which it is", async () => {
    // It said "gateway refused: invalid or missing credentials": no word of which credential.
    const create = async (name: string, ...flags: string[]) => {
      const out = await admin(
        fx.gw.url,
        fx.adminKey,
        "keys",
        "create",
        "--name",
        name,
        "--role",
        "admin",
        "--json",
        ...flags,
      );
      return (JSON.parse(out.stdout) as { key: string }).key;
    };
    const revoked = await create("revoked-admin");
    expect((await admin(fx.gw.url, fx.adminKey, "keys", "revoke", "revoked-admin")).code).toBe(0);
    const expired = await create("expired-admin", "--expires-in", "1s");
    await waitFor("the key to expire", async () => {
      const out = await admin(fx.gw.url, fx.adminKey, "keys", "show", "expired-admin", "--json");
      return (JSON.parse(out.stdout) as { status: string }).status === "expired";
    });
    for (const key of ["mgw_wrongwrongwrongwrongwrongwrongwrongwrongwro", revoked, expired])
      for (const command of [["keys", "list"], ["audit", "query"], ["tenants"]]) {
        const out = await admin(fx.gw.url, key, ...command);
        expect({ command, code: out.code, stderr: out.stderr }).toEqual({
          command,
          code: 2,
          stderr: `mindgw: admin key rejected by ${fx.gw.url} (HTTP 401): check --admin-key or MINDGW_ADMIN_KEY; a revoked or expired key is refused alike\n`,
        });
      }
    // It said "no active key with id or name …" alone, of keys `keys show` finds.
    for (const [name, why] of [
      ["revoked-admin", "it is revoked"],
      ["expired-admin", "it has expired"],
    ]) {
      const out = await admin(fx.gw.url, fx.adminKey, "keys", "rotate", name ?? "");
      expect({ name, code: out.code, stderr: out.stderr }).toEqual({
        name,
        code: 2,
        stderr: `mindgw: gateway refused: no active key with id or name "${name}": ${why}\n`,
      });
    }
  });

  test("an admin key no HTTP header can carry (two lines of a key file): exit 2 naming where it came from, never 'cannot reach the gateway'", async () => {
    // fetch refused the header ("Header 'Authorization' has invalid value"), which the commands
    // said as a gateway they could not reach, exit 1; tail retried it five times.
    const said = "holds a line break, a control character or one no HTTP header carries: give the key alone";
    const twoLines = `${fx.adminKey}\nmgw_second`;
    for (const [args, env, words] of [
      [["keys", "list", "--gateway", fx.gw.url, "--admin-key", twoLines], {}, `mindgw: --admin-key: ${said}`],
      [
        ["audit", "query", "--gateway", fx.gw.url],
        { MINDGW_ADMIN_KEY: twoLines },
        `mindgw: MINDGW_ADMIN_KEY: ${said}`,
      ],
      [
        ["tail", "--json", "--gateway", fx.gw.url, "--admin-key", twoLines],
        {},
        `mindgw: --admin-key: ${said}`,
      ],
      [
        ["tail", "--json", "--gateway", fx.gw.url],
        { MINDGW_ADMIN_KEY: twoLines },
        `mindgw: MINDGW_ADMIN_KEY: ${said}`,
      ],
    ] as const) {
      const out = await runMindgw(args, { env });
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({ args, code: 2, stderr: `${words}\n` });
    }
    // A key file's line end (CRLF's CR, read by "$(cat key.txt)") is stripped, as fetch strips it.
    const crlf = await runMindgw(["keys", "list", "--gateway", fx.gw.url, "--admin-key", `${fx.adminKey}\r`]);
    expect(crlf.code).toBe(0);
  });

  test("an admin key after a line break (a key file whose first line is blank): exit 2 naming where it came from, as one with a line break inside", async () => {
    // The key follows `Bearer `: a line break before it is inside the header, which fetch refused,
    // exit 1 ("cannot reach the gateway"); only one after it is stripped.
    const said = "holds a line break, a control character or one no HTTP header carries: give the key alone";
    const blankFirst = `\n${fx.adminKey}`;
    for (const [args, env, words] of [
      [
        ["keys", "list", "--gateway", fx.gw.url, "--admin-key", blankFirst],
        {},
        `mindgw: --admin-key: ${said}`,
      ],
      [
        ["tail", "--json", "--gateway", fx.gw.url],
        { MINDGW_ADMIN_KEY: blankFirst },
        `mindgw: MINDGW_ADMIN_KEY: ${said}`,
      ],
    ] as const) {
      const out = await runMindgw(args, { env });
      expect({ args, code: out.code, stderr: out.stderr }).toEqual({ args, code: 2, stderr: `${words}\n` });
    }
  });

  test("a --gateway with an API's path (/v1) or none of the gateway's: exit 2, saying to give the gateway's URL", async () => {
    // It said "gateway refused: no route for GET /v1/admin/api/keys", or "HTTP 404". A wrong
    // --gateway is a usage error, as one with a query or that redirects.
    const other = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () => new Response("nope", { status: 404 }),
    });
    fx.deferTest(() => other.stop(true));
    for (const [gateway, command, path] of [
      [`${fx.gw.url}/v1`, ["keys", "list"], "/admin/api/keys"],
      [`${fx.gw.url}/v1`, ["audit", "query"], "/admin/api/audit"],
      [`${fx.gw.url}/admin`, ["tenants"], "/admin/api/tenants"],
      [`http://127.0.0.1:${other.port}/mindgw`, ["keys", "list"], "/admin/api/keys"],
    ] as const) {
      const out = await admin(gateway, fx.adminKey, ...command);
      expect({ gateway, code: out.code, stderr: out.stderr }).toEqual({
        gateway,
        code: 2,
        stderr: `mindgw: --gateway ${gateway} serves no ${path} (HTTP 404): give the gateway's URL (with the path a proxy serves it under, if any), not an API's such as …/v1\n`,
      });
    }
  });

  test("a --gateway answering 200 with a web page (a proxy's sign-in page): exit 2, saying it is not a mindgw gateway", async () => {
    // It said "… did not answer like a mindgw gateway", exit 1, as if the gateway had failed; and
    // `audit export` wrote the page out as the export and exited 0.
    const page = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response("<html><form>Sign in</form></html>", { headers: { "content-type": "text/html" } }),
    });
    fx.deferTest(() => page.stop(true));
    const gateway = `http://127.0.0.1:${page.port}`;
    for (const [command, path, wanted] of [
      [["keys", "list"], "/admin/api/keys", "JSON"],
      [["keys", "create", "--name", "n", "--role", "user"], "/admin/api/keys", "JSON"],
      [["audit", "query"], "/admin/api/audit", "JSON"],
      [["audit", "export"], "/admin/api/audit/export", "application/x-ndjson"],
      [["audit", "export", "--format", "csv"], "/admin/api/audit/export", "text/csv"],
      [["tenants"], "/admin/api/tenants", "JSON"],
      [["shadow", "report"], "/admin/api/shadow", "JSON"],
      [["tail", "--json"], "/admin/api/events", "an event stream"],
    ] as const) {
      const out = await admin(gateway, fx.adminKey, ...command);
      const prefix = command[0] === "tail" ? "mindgw tail" : "mindgw";
      expect({ command, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        code: 2,
        stdout: "",
        stderr: `${prefix}: --gateway ${gateway} is not a mindgw gateway: ${path} answered HTTP 200 with text/html, not ${wanted}; give the gateway's URL (with the path a proxy serves it under, if any)\n`,
      });
    }
  });
});

describe("a --gateway answering 200 with another API's JSON", () => {
  test("every admin command: exit 2, saying it is not a mindgw gateway, never a script error or a made-up key", async () => {
    // `keys create` printed "key: undefined", exit 0; `keys list` "undefined is not an object
    // (evaluating 'u.length')", exit 1.
    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => Response.json({ ok: true }) });
    fx.deferTest(() => other.stop(true));
    const gateway = `http://127.0.0.1:${other.port}`;
    for (const [command, path, field] of [
      [["keys", "list"], "/admin/api/keys", "keys"],
      [["keys", "create", "--name", "n", "--role", "user"], "/admin/api/keys", "key"],
      [["keys", "show", "n"], "/admin/api/keys/n", "id"],
      [["keys", "revoke", "n"], "/admin/api/keys/n/revoke", "id"],
      [["keys", "rotate", "n"], "/admin/api/keys/n/rotate", "key"],
      [["keys", "update", "n", "--rpm", "5"], "/admin/api/keys/n/limits", "id"],
      [["audit", "query"], "/admin/api/audit", "records"],
      [["tenants"], "/admin/api/tenants", "tenants"],
      [["shadow", "report"], "/admin/api/shadow", "records"],
    ] as const) {
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", fx.adminKey]);
      expect({ command, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        code: 2,
        stdout: "",
        stderr: `mindgw: --gateway ${gateway} is not a mindgw gateway: ${path} answered HTTP 200 with JSON without "${field}"; give the gateway's URL (with the path a proxy serves it under, if any)\n`,
      });
    }
  });
});

describe("a --gateway answering 200 with JSON holding the field, shaped otherwise", () => {
  test("keys and audit query: exit 2, naming what is no gateway's, never a script error or an Invalid Date", async () => {
    // Only the top-level field was checked (53e5e15f): `{"keys":[1]}` ended keys list on
    // "undefined is not an object (evaluating 'e.models.join')", exit 1; `{"records":[1]}` audit
    // query on "Invalid Date"; `{"key":5}` had keys create print blank lines, exit 0.
    const answers: Record<string, unknown> = {
      "GET /admin/api/keys": { keys: [1], nextCursor: null },
      "POST /admin/api/keys": { key: 5 },
      "GET /admin/api/keys/n": { id: "key_1", name: "n", tenant: "default", role: "user", models: "gpt-*" },
      "GET /admin/api/audit": { records: [1], nextCursor: null },
    };
    const other = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => Response.json(answers[`${request.method} ${new URL(request.url).pathname}`] ?? {}),
    });
    fx.deferTest(() => other.stop(true));
    const gateway = `http://127.0.0.1:${other.port}`;
    for (const [command, path, fault] of [
      [["keys", "list"], "/admin/api/keys", 'whose "keys.0" is no gateway\'s (expected an object)'],
      [["keys", "create", "--name", "n", "--role", "user"], "/admin/api/keys", 'without "id"'],
      [["keys", "show", "n"], "/admin/api/keys/n", 'whose "models" is no gateway\'s (expected a list)'],
      [["audit", "query"], "/admin/api/audit", 'whose "records.0" is no gateway\'s (expected an object)'],
    ] as const) {
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", fx.adminKey]);
      expect({ command, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        code: 2,
        stdout: "",
        stderr: `mindgw: --gateway ${gateway} is not a mindgw gateway: ${path} answered HTTP 200 with JSON ${fault}; give the gateway's URL (with the path a proxy serves it under, if any)\n`,
      });
    }
  });
});

describe("a gateway one release newer, or a row stored oddly", () => {
  test("keys list and audit query print rows with a role, status, front door or attempt outcome this CLI does not know, and odd numbers: exit 0", async () => {
    // The answer's shape was the gateway's own schemas made partial: closed sets and limits held,
    // so a new role or front door, or one stored row with a negative latency, had keys list and
    // audit query exit 2 saying the gateway was none.
    const key = {
      id: "key_1",
      name: "n",
      tenant: "default",
      role: "auditor",
      models: ["*"],
      rpm: -1,
      tpm: 0.5,
      budget_usd: null,
      key_preview: "mgw_AbCd…wxyz",
      status: "suspended",
      expires_at: null,
      revoked_at: null,
      created_at: "2026-01-02T03:04:05.000Z",
      last_used_at: null,
      chain: "key_1",
    };
    const record = {
      requestId: "req_1",
      startedAt: 1_767_322_800_000,
      keyId: "key_1",
      keyName: "n",
      tenant: null,
      role: "auditor",
      frontDoor: "images",
      model: "m",
      route: "r",
      upstreamModel: null,
      status: 200,
      errorClass: null,
      stream: false,
      latencyMs: -3,
      ttfbMs: 1.5,
      inputTokens: 2.5,
      outputTokens: -1,
      costUsd: 0,
      clientIp: null,
      userAgent: null,
      attempts: Array.from({ length: 20 }, () => ({ outcome: "skipped", latencyMs: -1 })),
    };
    const answers: Record<string, unknown> = {
      "GET /admin/api/keys": { keys: [key], nextCursor: null },
      "GET /admin/api/audit": { records: [record], nextCursor: null },
    };
    const newer = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (request) => Response.json(answers[`${request.method} ${new URL(request.url).pathname}`] ?? {}),
    });
    fx.deferTest(() => newer.stop(true));
    const gateway = `http://127.0.0.1:${newer.port}`;
    for (const [command, shows] of [
      [
        ["keys", "list"],
        ["auditor", "suspended"],
      ],
      [
        ["audit", "query"],
        ["-3.0", "2.5/-1", "req_1"],
      ],
      [
        ["audit", "query", "--json"],
        ['"frontDoor":"images"', '"outcome":"skipped"'],
      ],
    ] as const) {
      const out = await runMindgw([...command, "--gateway", gateway, "--admin-key", fx.adminKey]);
      expect({ command, code: out.code, stderr: out.stderr }).toEqual({ command, code: 0, stderr: "" });
      for (const text of shows) expect(out.stdout).toContain(text);
    }
  });
});

describe("no target given, in a folder with no ./data", () => {
  test("audit import, MINDGW_GATEWAY set or not: exit 2, saying it takes -c alone, never to give --gateway", async () => {
    // It said "with no -c FILE, --gateway URL, MINDGW_CONFIG or MINDGW_GATEWAY given … or its URL
    // (--gateway)", MINDGW_GATEWAY set or not: import takes no --gateway.
    const empty = tempDir();
    fx.deferTest(() => empty.cleanup());
    writeFileSync(join(empty.path, "rows.ndjson"), "");
    for (const env of [{}, { MINDGW_GATEWAY: fx.gw.url, MINDGW_ADMIN_KEY: fx.adminKey }]) {
      const out = await runMindgw(["audit", "import", "rows.ndjson"], { cwd: empty.path, env });
      expect({ env, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        env,
        code: 2,
        stdout: "",
        stderr:
          "mindgw: no database at ./data/mindgw.db: with no -c FILE or MINDGW_CONFIG given, the embedded defaults' store (./data in the folder this runs in) is written; give the config the gateway serves (-c): audit import writes its store itself, never through a gateway (--gateway, MINDGW_GATEWAY)\n",
      });
    }
  });

  test("keys list, audit query, tenants, shadow report: exit 2, saying the embedded defaults were read and what to give", async () => {
    // It said "no database at ./data/mindgw.db (is storage.path right?)": no storage.path was given.
    const empty = tempDir();
    fx.deferTest(() => empty.cleanup());
    for (const command of [["keys", "list"], ["audit", "query"], ["tenants"], ["shadow", "report"]]) {
      const out = await runMindgw(command, { cwd: empty.path });
      expect({ command, code: out.code, stdout: out.stdout, stderr: out.stderr }).toEqual({
        command,
        code: 2,
        stdout: "",
        stderr:
          "mindgw: no database at ./data/mindgw.db: with no -c FILE, --gateway URL, MINDGW_CONFIG or MINDGW_GATEWAY given, the embedded defaults' store (./data in the folder this runs in) is read; give the config the gateway serves (-c) or its URL (--gateway)\n",
      });
    }
  });
});
