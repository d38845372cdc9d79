import { expect, test } from "bun:test";
import type { Config } from "../config/config-schema.ts";
import { parseConfig } from "../config/load-config.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { appliedWhenLoaded, type ConfigNeeds } from "./applied-when-loaded.ts";

/** A config of one model on the mock, or on an OpenAI provider (one the catalogue prices). */
const config = (model: string, type: "mock" | "openai" = "mock") =>
  parseConfig(
    {
      providers: [{ name: "p", type, ...(type === "openai" ? { base_url: "http://127.0.0.1:1/v1" } : {}) }],
      models: [{ name: model, routes: [{ provider: "p", model: "x" }] }],
    },
    {},
  );

const modelOf = (applied: Config) => applied.models[0]?.name;

/** The catalogue's need, loaded (or failing to load) when the test says. */
function catalogueNeed() {
  let loaded = false;
  const load = Promise.withResolvers<void>();
  const needs: ConfigNeeds = {
    ready: (next) => loaded || next.providers.every((provider) => provider.type === "mock"),
    load: () => load.promise,
  };
  const finish = (error?: Error) => {
    if (error) return load.reject(error);
    loaded = true;
    load.resolve();
  };
  return { needs, finish };
}

test("a config that needs nothing loaded is applied at once", () => {
  const applied: string[] = [];
  const onValid = appliedWhenLoaded(
    (c) => applied.push(modelOf(c) ?? ""),
    () => {},
    catalogueNeed().needs,
  );
  onValid(config("one"));
  onValid(config("two"));
  expect(applied).toEqual(["one", "two"]);
});

test("the first config naming a catalogued provider waits for the load, and every config after it waits its turn behind it", async () => {
  const applied: string[] = [];
  const need = catalogueNeed();
  const onValid = appliedWhenLoaded(
    (c) => applied.push(modelOf(c) ?? ""),
    () => {},
    need.needs,
  );
  onValid(config("priced", "openai"));
  // The mock alone needs nothing, yet is applied after the one before it, never before.
  onValid(config("after"));
  expect(applied).toEqual([]);
  need.finish();
  await waitForValue("both applied", () => applied.length === 2);
  expect(applied).toEqual(["priced", "after"]);
  // Loaded and nothing waiting: at once again.
  onValid(config("later", "openai"));
  expect(applied).toEqual(["priced", "after", "later"]);
});

test("a load that fails refuses its config, and the next is applied as usual", async () => {
  const applied: string[] = [];
  const refused: string[] = [];
  const need = catalogueNeed();
  const onValid = appliedWhenLoaded(
    (c) => applied.push(modelOf(c) ?? ""),
    (error) => refused.push(error.message),
    need.needs,
  );
  onValid(config("priced", "openai"));
  onValid(config("after"));
  need.finish(new Error("no catalogue"));
  await waitForValue("the next applied", () => applied.length === 1);
  expect(applied).toEqual(["after"]);
  expect(refused).toEqual(["could not apply: Error: no catalogue"]);
});
