import { expect, setDefaultTimeout, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";

setDefaultTimeout(90_000);

// A key the gateway knows but will not let make the call (403: a user key, an admin held to a
// tenant naming another): `mindgw tail` said "admin key rejected by … (HTTP 403): …" and every
// other command "gateway refused: …", both exit 2. One wording now, from one place
// (core/admin-api-refusal.ts), the gateway's words after it; a proxy's 403 page is not quoted.

const fx = gatewayFixture({ models: ["m1"] });

/** Every command reading the admin API, as a user types it. */
const COMMANDS = [
  ["keys", "list"],
  ["audit", "query"],
  ["audit", "export"],
  ["tenants"],
  ["shadow", "report"],
  ["tail", "--json"],
];

/** How each command's line begins: what the tail meets once it runs is its own. */
const by = (command: readonly string[]) => (command[0] === "tail" ? "mindgw tail" : "mindgw");

test("a user key: every command exits 2 with one wording, the gateway's words after it", async () => {
  const created = await runMindgw([
    "keys",
    "create",
    "--name",
    "just-a-user",
    "--role",
    "user",
    "--json",
    "--gateway",
    fx.gw.url,
    "--admin-key",
    fx.adminKey,
  ]);
  const userKey = (JSON.parse(created.stdout) as { key: string }).key;
  const results = await Promise.all(
    COMMANDS.map((command) => runMindgw([...command, "--gateway", fx.gw.url, "--admin-key", userKey])),
  );
  const why = (command: readonly string[]) =>
    command[0] === "keys"
      ? "this credential lacks the required role"
      : "this credential may read only as an admin or as a member of a configured tenant";
  expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
    COMMANDS.map((command) => ({
      code: 2,
      stdout: "",
      stderr: `${by(command)}: admin key refused by ${fx.gw.url} (HTTP 403): ${why(command)}\n`,
    })),
  );
});

test("a proxy's 403 page: the same wording, its page not quoted", async () => {
  const proxy = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      new Response("<h1>Forbidden</h1>", { status: 403, headers: { "content-type": "text/html" } }),
  });
  fx.deferTest(() => proxy.stop(true));
  const url = `http://127.0.0.1:${proxy.port}`;
  const results = await Promise.all(
    COMMANDS.map((command) => runMindgw([...command, "--gateway", url, "--admin-key", fx.adminKey])),
  );
  expect(results.map(({ code, stdout, stderr }) => ({ code, stdout, stderr }))).toEqual(
    COMMANDS.map((command) => ({
      code: 2,
      stdout: "",
      stderr: `${by(command)}: admin key refused by ${url} (HTTP 403)\n`,
    })),
  );
});
