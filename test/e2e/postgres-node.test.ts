/**
 * One `mindgw serve` on PostgreSQL instead of SQLite (no cluster): the same promises through the
 * compiled binary, and the local CLI (`keys`, `audit`) working on the shared database.
 */
import { beforeAll, expect, test } from "bun:test";
import OpenAI from "openai";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

let postgres: PostgresServer;
let gw: GatewayProcess;

const fx = gatewayFixture({
  fake: null,
  fakeRoutes: false,
  config: async (_noFake, { own }) => {
    postgres = own(await startPostgres());
    const url = await postgres.createDatabase("single");
    return {
      storage: { driver: "postgres", url, sslmode: "disable", connect_timeout: "1s" },
      providers: [{ name: "mock", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "mock", model: "mock" }] }],
      audit: { flush_ms: 20 },
    };
  },
});

beforeAll(() => {
  gw = fx.gw;
});

test("first start on an empty database prints the admin key; requests are served and audited there", async () => {
  expect(gw.adminKey).toMatch(/^mgw_/);
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey! });
  const answer = await client.chat.completions.create(
    { model: "mock", messages: [{ role: "user", content: "hi" }] },
    { headers: { "x-request-id": "pg-one" } },
  );
  expect(answer.choices[0]?.message.content?.length).toBeGreaterThan(0);
  // The local CLI reads the same database the gateway writes.
  const rows = await waitFor("the audit row through `mindgw audit query -c`", async () => {
    const result = await runMindgw(["audit", "query", "-c", gw.configPath, "--json"]);
    expect(result.code).toBe(0);
    return result.stdout.includes('"requestId":"pg-one"') ? result.stdout : undefined;
  });
  expect(rows).toContain('"status":200');
});

test("`mindgw keys create -c` on PostgreSQL: the running gateway accepts the key; revoke locally refuses it", async () => {
  const created = await runMindgw([
    "keys",
    "create",
    "-c",
    gw.configPath,
    "--name",
    "pg-user",
    "--role",
    "user",
    "--json",
  ]);
  expect(created.code).toBe(0);
  const { key, id } = JSON.parse(created.stdout) as { key: string; id: string };
  const call = () =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
    });
  await waitFor("the new key to work", async () => (await call()).status === 200);
  expect((await runMindgw(["keys", "revoke", "-c", gw.configPath, id])).code).toBe(0);
  await waitFor("the revoked key to be refused", async () => (await call()).status === 401);
});

test("a Responses chain is stored in PostgreSQL and survives a restart of the gateway", async () => {
  const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: gw.adminKey! });
  const first = await client.responses.create({ model: "mock", input: "remember 7", store: true });
  await waitFor("the response to be stored", () =>
    client.responses
      .retrieve(first.id)
      .then(() => true)
      .catch(() => false),
  );
  const adminKey = gw.adminKey!;
  await gw.stop();
  gw = await fx.restart();
  const again = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: adminKey });
  const second = await again.responses.create({
    model: "mock",
    input: "and?",
    previous_response_id: first.id,
  });
  expect(second.status).toBe("completed");
}, 60_000);
