import { describe, expect, setDefaultTimeout, test } from "bun:test";
import OpenAI from "openai";
import { ResponsesWS } from "openai/resources/responses/ws";
import { createKey } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

setDefaultTimeout(30_000);

// Tenants through the compiled binary: a reload that removes a tenant, and the config checks of
// tenants (each on a gateway or a config of its own).

// No gateway of the file's own: the reload test spawns its own, the checks run the CLI.
const fx = gatewayFixture({ gateway: false });

describe("a reload that removes a tenant", () => {
  test("refuses its keys as a JWT naming it is (401 in the caller's dialect), never widens them to every model, and warns naming the tenant and its keys", async () => {
    const config = (tenants: object[]) => ({
      providers: [{ name: "mock", type: "mock" }],
      models: ["m1", "m2"].map((name) => ({ name, routes: [{ provider: "mock", model: name }] })),
      tenants,
    });
    const kept = { name: "kept", models: ["m1"] };
    // The fixture's spawn: stopped after the test whatever happens.
    const own = await fx.spawn({ config: config([kept, { name: "gone", models: ["m1"], rpm: 5 }]) });
    const [goneKey, keptKey] = await Promise.all([
      createKey(own, { name: "gone-user", tenant: "gone" }),
      createKey(own, { name: "kept-user", tenant: "kept" }),
    ]);
    const openai = (token: string, model: string) =>
      fetch(`${own.url}/v1/chat/completions`, {
        method: "POST",
        headers: bearer(token),
        body: chatBody(model),
      });
    expect((await openai(goneKey.key, "m1")).status).toBe(200);
    expect((await openai(goneKey.key, "m2")).status).toBe(404);
    // A Responses WebSocket the key holds open, one turn served on it: closed at the reload, as
    // at a revoke, where it stayed open with every turn refused.
    const socket = new ResponsesWS(
      new OpenAI({ baseURL: `${own.url}/v1`, apiKey: goneKey.key, maxRetries: 0 }),
    );
    const socketEvents: string[] = [];
    let socketClosed: { code: number; reason: string } | undefined;
    socket.on("event", (event) => socketEvents.push(event.type));
    socket.on("error", () => undefined);
    socket.on("close", (code, reason) => {
      socketClosed = { code, reason };
    });
    socket.send({ type: "response.create", model: "m1", input: "hi" });
    await waitFor("a turn served on the socket", () => socketEvents.includes("response.completed"));

    await own.writeConfig(config([kept]));
    await waitFor("the reload applied", () => own.stderr.all.includes("config reloaded (version 2)"));
    await waitFor("the removed tenant's warning", () =>
      own.stderr.all.includes(
        'config reloaded without tenant "gone": its 1 active key is refused from now on (401)',
      ),
    );
    for (const model of ["m1", "m2"]) {
      const refused = await openai(goneKey.key, model);
      expect(refused.status).toBe(401);
      expect(await refused.json()).toMatchObject({
        error: { code: "unauthorized", message: "invalid or missing credentials" },
      });
    }
    const anthropic = await fetch(`${own.url}/v1/messages`, {
      method: "POST",
      headers: {
        "x-api-key": goneKey.key,
        "anthropic-version": "2023-06-01",
        "content-type": "application/json",
      },
      body: JSON.stringify({ model: "m2", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(anthropic.status).toBe(401);
    expect(await anthropic.json()).toMatchObject({
      type: "error",
      error: { type: "authentication_error", message: "invalid or missing credentials" },
    });
    expect((await fetch(`${own.url}/v1/models`, { headers: bearer(goneKey.key) })).status).toBe(401);
    expect(
      await waitFor("the socket closed", () => socketClosed, 10_000).finally(() => socket.close()),
    ).toEqual({ code: 1008, reason: "the API key's tenant was removed" });
    // The tenant left in place serves on, within its own models.
    expect((await openai(keptKey.key, "m1")).status).toBe(200);
    expect((await openai(keptKey.key, "m2")).status).toBe(404);
  });
});

describe("config checks", () => {
  test("a tenant's provider used by another tenant's model is refused with the path named", async () => {
    const path = `${fx.dir}/bad.yaml`;
    await Bun.write(
      path,
      [
        "tenants: [{ name: t1 }]",
        "providers: [{ name: p, type: mock, tenant: t1 }]",
        "models: [{ name: m, routes: [{ provider: p, model: m }] }, { name: n, tenant: t2, routes: [{ provider: p, model: n }] }]",
      ].join("\n"),
    );
    const out = await runMindgw(["config", "check", "-c", path]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('models[0].routes[0].provider: provider "p" belongs to tenant "t1"');
    expect(out.stderr).toContain('models[1].tenant: unknown tenant "t2"');
  });

  test("a tenant named default (every untenanted key's) is refused with the path named", async () => {
    const path = `${fx.dir}/reserved.yaml`;
    await Bun.write(path, "tenants: [{ name: team-a }, { name: default, rpm: 1 }]\n");
    const out = await runMindgw(["config", "check", "-c", path]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain('tenants[1].name: "default" is reserved for keys outside every tenant');
  });
});
