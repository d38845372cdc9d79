import { expect, spyOn, test } from "bun:test";
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import type { z } from "zod";
import { unpricedWarnings } from "../pricing/model-prices.ts";
import { configSchema } from "./config-schema.ts";
import { loadConfigFile } from "./load-config.ts";
import { defOf } from "./unit-fields.ts";

// config.example.yaml documents every option: it must stay valid, and name every section.
const EXAMPLE = join(import.meta.dir, "../../config.example.yaml");

test("config.example.yaml is a valid config", async () => {
  const config = await loadConfigFile(EXAMPLE, {});
  expect(config.models.map((m) => m.name)).toContain("mock");
});

test("config check finds every model of config.example.yaml priced: its claude-* route by the catalogue, under the name sent", async () => {
  const config = await loadConfigFile(EXAMPLE, {});
  expect(config.models.map((m) => m.name)).toContain("claude-*");
  expect(unpricedWarnings(config)).toEqual([]);
});

/** Every option the schema takes, at any depth, as a path: `providers[].entra.authority_host`. */
function* options(schema: z.ZodType, path = ""): Generator<string> {
  const def = defOf(schema);
  if (def.type === "object" && def.shape) {
    for (const [key, field] of Object.entries(def.shape)) {
      const at = path ? `${path}.${key}` : key;
      yield at;
      yield* options(field, at);
    }
    return;
  }
  // Through optional, default, pipe and union to the objects inside; an array's items and a map's
  // values (prices.<model>) are options of the same name.
  if (def.element) yield* options(def.element, `${path}[]`);
  if (def.valueType) yield* options(def.valueType, `${path}.*`);
  for (const inner of [def.innerType, def.in, def.out, ...(def.options ?? [])])
    if (inner) yield* options(inner, path);
}

test("config.example.yaml names every option of the schema, at every depth (commented out or not)", async () => {
  const text = await Bun.file(EXAMPLE).text();
  const named = (path: string) => {
    const key = path.slice(path.lastIndexOf(".") + 1);
    return new RegExp(`(^|[\\s{,#])${key}:`, "m").test(text);
  };
  const all = [...new Set(options(configSchema))];
  expect(all.length).toBeGreaterThan(150);
  expect(all.filter((path) => !named(path))).toEqual([]);
});

test("config.example.yaml routes Anthropic providers to no model the pinned Anthropic SDK calls deprecated", async () => {
  // The SDK warns of a deprecated model (its end-of-life date) on each call that names it: asked
  // of each route's model, with a fetch that answers at once, nothing leaves this process. Before:
  // claude-sonnet → claude-sonnet-4-5, end of life on November 30th, 2026 by that table.
  const config = await loadConfigFile(EXAMPLE, {});
  const anthropic = new Set(config.providers.filter((p) => p.type === "anthropic").map((p) => p.name));
  const models = config.models
    .flatMap((m) => m.routes)
    .filter((r) => anthropic.has(r.provider) && r.model !== "*");
  expect(models.length).toBeGreaterThan(0);
  const answer = {
    id: "msg_1",
    type: "message",
    role: "assistant",
    content: [],
    model: "m",
    stop_reason: "end_turn",
  };
  const client = new Anthropic({
    apiKey: "k",
    fetch: async () => Response.json({ ...answer, usage: { input_tokens: 1, output_tokens: 1 } }),
  });
  const warned: unknown[] = [];
  const warn = spyOn(console, "warn").mockImplementation((...said: unknown[]) => void warned.push(...said));
  try {
    for (const { model } of models)
      await client.messages.create({ model, max_tokens: 1, messages: [{ role: "user", content: "hi" }] });
  } finally {
    warn.mockRestore();
  }
  expect(warned).toEqual([]);
});
