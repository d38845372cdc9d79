import { expect, test } from "bun:test";
import type { RoutingView } from "./views.ts";
import { workerOnlyModels } from "./worker-only-models.ts";

const entry = (name: string, aliases: string[] = []): RoutingView["models"][number] => ({
  name,
  aliases,
  strategy: "priority",
  routes: [
    { provider: "demo", model: "mock", weight: 1, health: { open: false, inFlight: 0, latencyMs: 0 } },
  ],
});

test("a worker's model the config answers to, by name, alias or glob, is not worker-only: the config routes it", () => {
  const models = [entry("mock-chat", ["chat-latest"]), entry("claude-*")];
  const workerModels = ["mock-chat", "chat-latest", "claude-haiku", "llama-local"];
  expect(workerOnlyModels({ models, workerModels })).toEqual(["llama-local"]);
});

test("with no configured entry, every worker model is worker-only", () => {
  expect(workerOnlyModels({ models: [], workerModels: ["a", "b"] })).toEqual(["a", "b"]);
});
