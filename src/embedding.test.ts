import { afterAll, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  createGateway,
  createProvider,
  type EventSink,
  type Gateway,
  type Policy,
  type Provider,
  type ProviderFactory,
  parseConfig,
} from "./index.ts";
import { waitFor } from "./testing/wait-for.ts";

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
    providers: factory,
    auth: async (headers) => {
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

test("an embedder plugs in a config source, a policy and an event sink", async () => {
  const { staticConfigSource, GatewayError } = await import("./index.ts");
  const seen: string[] = [];
  const sink: EventSink = { publish: (event) => seen.push(event.type) };
  const policy: Policy = {
    admit(principal) {
      if (principal.name === "blocked")
        throw new GatewayError({
          status: 403,
          code: "forbidden",
          message: "not today: outside office hours",
        });
      return { "x-policy": "ok" };
    },
    record: () => 0.5,
  };
  const embedded = await createGateway({
    configSource: staticConfigSource(
      parseConfig({
        storage: { path: join(dir, "policy.db") },
        auth: { bootstrap_admin: false },
        providers: [{ name: "demo", type: "mock" }],
        models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
      }),
    ),
    auth: async (headers) => ({
      keyId: null,
      name: headers.get("authorization") === "Bearer blocked" ? "blocked" : "ok",
      tenant: "acme",
      role: "user",
      models: ["*"],
      limits: {},
      via: "jwt",
    }),
    policy,
    events: [sink],
  });
  try {
    const call = (token: string) =>
      embedded.handle(
        new Request("http://localhost/v1/chat/completions", {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
        }),
      );
    const allowed = await call("fine");
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("x-policy")).toBe("ok");
    const refused = await call("blocked");
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
      "office hours",
    );
    // A request's end is reported once its answer is written (http/request-ends.ts), not before.
    await waitFor(
      "both requests reported",
      () => seen.filter((type) => type === "request.finished").length === 2,
    );
  } finally {
    await embedded.stop();
  }
});

test("an embedder's own strict tsconfig type-checks the library and names every part's types", async () => {
  // A project of its own outside the repo, as an app developer sets one up: strict, skipLibCheck,
  // nothing of ours included but what its one file imports.
  const project = join(dir, "consumer");
  const root = resolve(import.meta.dir, "..");
  mkdirSync(project);
  writeFileSync(
    join(project, "app.ts"),
    `import type {
  AuditFilter, AuditPosition, ConfigWatchHandlers, KeyRecord, LogFields, ProviderContext,
  Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse,
} from ${JSON.stringify(join(root, "src/index.ts"))};
import { createGateway, parseConfig } from ${JSON.stringify(join(root, "src/index.ts"))};
export type Parts = [AuditFilter, AuditPosition, ConfigWatchHandlers, KeyRecord, LogFields,
  ProviderContext, Served, ShadowAggregate, ShadowFilter, ShadowRecord, ShadowStore, StoredResponse];
const gateway = await createGateway({ config: parseConfig({ storage: { path: ":memory:" } }) });
await gateway.stop();
`,
  );
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ESNext",
        module: "Preserve",
        moduleResolution: "bundler",
        lib: ["ESNext", "DOM"],
        types: ["bun"],
        typeRoots: [join(root, "node_modules/@types")],
        strict: true,
        skipLibCheck: true,
        noEmit: true,
        allowImportingTsExtensions: true,
        resolveJsonModule: true,
      },
      files: ["app.ts"],
    }),
  );
  const tsc = Bun.spawn([join(root, "node_modules/.bin/tsc"), "-p", project], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const output = await new Response(tsc.stdout).text();
  expect(output).toBe("");
  expect(await tsc.exited).toBe(0);
  // One tsc run over the library: about three seconds on a shared core.
}, 30_000);
