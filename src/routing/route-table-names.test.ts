import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import type { Provider } from "../providers/provider.ts";
import type { WorkerDirectory } from "./route-table.ts";
import { RouteTable } from "./route-table.ts";
import { fakeProvider, routerFor } from "./router-test-kit.ts";

// Model names through the router: a dated alias, a glob entry that passes the client's own name
// upstream (`model: "*"`), and a more specific glob beside a broad one.
const config = {
  providers: [{ name: "oa", type: "openai" }],
  models: [
    { name: "claude-*", routes: [{ provider: "oa", model: "*" }] },
    { name: "claude-opus-*", routes: [{ provider: "oa", model: "big-model" }] },
    { name: "gpt-4o-mini", aliases: ["gpt-4o-mini-2024-07-18"], routes: [{ provider: "oa", model: "mini" }] },
  ],
  routing: { backoff: 0, retries: 0 },
};
const chat = (model: string) => ({
  operation: "chat" as const,
  body: { model, messages: [{ role: "user", content: "hi" }] },
  model,
  stream: false,
  requestId: "req_names",
  serial: 1,
  signal: new AbortController().signal,
  tenant: "default",
});

test("aliases, most specific globs and `*` routes decide the upstream model", async () => {
  const provider = fakeProvider("oa");
  const { router } = routerFor(config, [provider]);
  expect((await router(chat("gpt-4o-mini-2024-07-18"))).upstreamModel).toBe("mini");
  expect((await router(chat("claude-opus-5-5"))).upstreamModel).toBe("big-model");
  expect((await router(chat("claude-haiku-4-5"))).upstreamModel).toBe("claude-haiku-4-5");
  expect(provider.calls.map((call) => call.body.model)).toEqual(["mini", "big-model", "claude-haiku-4-5"]);
  await expect(router(chat("llama"))).rejects.toMatchObject({ status: 404, code: "model_not_found" });
});

test("names match case and all, as OpenAI's API matches them: GPT-4o-mini and Claude-haiku-4-5 are no model here", async () => {
  const provider = fakeProvider("oa");
  const { router } = routerFor(config, [provider]);
  for (const name of ["GPT-4o-mini", "gpt-4o-MINI-2024-07-18", "Claude-haiku-4-5"])
    await expect(router(chat(name))).rejects.toMatchObject({ status: 404, code: "model_not_found" });
  expect(provider.calls).toHaveLength(0);
});

test("`routedAs` names what `resolve` finds by: a name or alias itself, a glob's pattern, `workers` for a worker-only model", () => {
  const workers: WorkerDirectory = {
    provider: fakeProvider("workers") as Provider,
    servesModel: (model) => model === "local-llama" || model.startsWith("wm-"),
    models: () => ["local-llama"],
  };
  const table = new RouteTable(
    parseConfig(config, {}),
    new Map([["oa", fakeProvider("oa") as Provider]]),
    workers,
  );
  const names = [
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "claude-haiku-4-5",
    "claude-opus-5",
    "local-llama",
    "llama",
    "",
  ];
  expect(names.map((name) => table.routedAs(name) !== undefined)).toEqual(
    names.map((name) => table.resolve(name, "default") !== undefined),
  );
  expect(names.map((name) => table.routedAs(name))).toEqual([
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "claude-*",
    "claude-opus-*",
    "workers",
    undefined,
    undefined,
  ]);
  // Names a client makes up under a glob all come back as the glob: metrics label them with it.
  const madeUp = Array.from({ length: 50 }, (_, i) => `claude-made-up-${i}`);
  expect(new Set(madeUp.map((name) => table.routedAs(name)))).toEqual(new Set(["claude-*"]));
  // So do the names workers come and go with.
  const offered = Array.from({ length: 50 }, (_, i) => `wm-${i}`);
  expect(new Set(offered.map((name) => table.routedAs(name)))).toEqual(new Set(["workers"]));
});
