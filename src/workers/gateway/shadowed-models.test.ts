import { describe, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import type { Provider } from "../../providers/provider.ts";
import { RouteTable } from "../../routing/route-table.ts";
import { fakeWorker } from "../testing/fake-worker.ts";
import { shadowedModels } from "./shadowed-models.ts";
import { createWorkersProvider } from "./worker-provider.ts";
import { createWorkerRegistry } from "./worker-registry.ts";

describe("models the config routes elsewhere", () => {
  test("a worker's model the config names, exactly or by glob, and sends elsewhere is shadowed", () => {
    const registry = createWorkerRegistry();
    const worker = fakeWorker("box", { models: ["m", "m-alias", "llama-3", "free", "mine", "q-1"] });
    registry.add(worker);
    const config = parseConfig(
      {
        providers: [{ name: "demo", type: "mock" }],
        models: [
          { name: "m", aliases: ["m-alias"], routes: [{ provider: "demo", model: "mock" }] },
          { name: "llama-*", routes: [{ provider: "demo", model: "mock" }] },
          // Named by the config, but sent on to the workers under its own name: not shadowed.
          { name: "mine", routes: [{ provider: "workers", model: "mine" }] },
          { name: "q-*", routes: [{ provider: "workers", model: "*" }] },
        ],
      },
      {},
    );
    const demo: Provider = {
      name: "demo",
      dialect: "openai",
      call: () => Promise.reject(new Error("unused")),
    };
    const table = new RouteTable(config, new Map([["demo", demo]]), {
      provider: createWorkersProvider(registry),
      servesModel: (model, tenant) => registry.serves(model, tenant),
      models: (tenant) => registry.models(tenant),
    });
    expect(shadowedModels(table, worker)).toEqual(["m", "m-alias", "llama-3"]);
    registry.close();
  });
});
