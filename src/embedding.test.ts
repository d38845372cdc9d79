import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createGateway,
  createProvider,
  type Gateway,
  type Provider,
  type ProviderFactory,
  parseConfig,
} from "./index.ts";

// The library form: a custom provider type and custom authentication, through the exports only.
const dir = mkdtempSync(join(tmpdir(), "mindgw-embed-"));
let gateway: Gateway | undefined;
afterAll(async () => {
  await gateway?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("an embedder plugs in its own provider and authentication", async () => {
  const shouting: Provider = {
    name: "shout",
    dialect: "openai",
    async call(call) {
      const last = (call.body.messages as { content: string }[]).at(-1)?.content ?? "";
      return {
        kind: "json",
        body: {
          object: "chat.completion",
          model: call.body.model,
          choices: [
            { index: 0, message: { role: "assistant", content: last.toUpperCase() }, finish_reason: "stop" },
          ],
        },
      };
    },
  };
  const factory: ProviderFactory = (config, context) =>
    config.name === "shout" ? shouting : createProvider(config, context);
  const config = parseConfig({
    storage: { path: join(dir, "gw.db") },
    auth: { bootstrap_admin: false },
    providers: [{ name: "shout", type: "mock" }],
    models: [{ name: "loud", routes: [{ provider: "shout", model: "loud-1" }] }],
  });
  gateway = await createGateway({
    config,
    providerFactory: factory,
    authenticate: async (headers) => {
      if (headers.get("authorization") !== "Bearer let-me-in") throw new Error("no");
      return {
        keyId: null,
        name: "sso-user",
        tenant: "acme",
        role: "user",
        models: ["*"],
        limits: {},
        via: "jwt",
      };
    },
  });
  const response = await gateway.handle(
    new Request("http://localhost/v1/chat/completions", {
      method: "POST",
      headers: { authorization: "Bearer let-me-in", "content-type": "application/json" },
      body: JSON.stringify({ model: "loud", messages: [{ role: "user", content: "hello" }] }),
    }),
  );
  expect(response.status).toBe(200);
  const body = (await response.json()) as { choices: { message: { content: string } }[] };
  expect(body.choices[0]?.message.content).toBe("HELLO");
  const refused = await gateway.handle(
    new Request("http://localhost/v1/models", { headers: { authorization: "Bearer nope" } }),
  );
  expect(refused.status).toBe(401);
});
