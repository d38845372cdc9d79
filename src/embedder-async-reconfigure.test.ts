import { expect, test } from "bun:test";
import {
  type ConfigSource,
  type ConfigWatchHandlers,
  createGateway,
  type Policy,
  parseConfig,
} from "./index.ts";
import { recordingLogger } from "./testing/recording-logger.ts";
import { waitForValue } from "./testing/wait-for.ts";

// An embedder's policy whose `reconfigure` is `async` (a Policy to TypeScript, whose `void` takes a
// promise) cannot refuse a config: it is told in the turn the config takes effect, and a promise
// answers later. Its rejection is logged, naming the policy; left unhandled, it ended the process.

test("an async reconfigure that rejects: the config is in force, the rejection logged, none left unhandled", async () => {
  const unhandled: unknown[] = [];
  const count = (reason: unknown) => void unhandled.push(reason);
  process.on("unhandledRejection", count);
  const configWith = (model: string) =>
    parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: model, routes: [{ provider: "demo", model: "m" }] }],
    });
  let told: ConfigWatchHandlers | undefined;
  const source: ConfigSource = {
    initial: configWith("first"),
    path: null,
    watch: (handlers) => {
      told = handlers;
      return () => {};
    },
  };
  const policy: Policy = {
    admit: () => ({}),
    record: () => 0,
    reconfigure: async (config) => {
      throw new Error(`the quota service refused ${config.models[0]?.name}`);
    },
  };
  const { logger, lines } = recordingLogger();
  const gateway = await createGateway({ configSource: source, policy, logger });
  try {
    await told?.onValid(configWith("second"));
    const logged = await waitForValue("the rejection logged", () =>
      lines.find((line) => line.message.includes("the embedder's policy (reconfigure)")),
    );
    expect(logged.level).toBe("error");
    expect(String(logged.fields?.error)).toContain("the quota service refused second");
    expect(gateway.lastReloadError()).toBeNull();
  } finally {
    await gateway.stop();
    process.off("unhandledRejection", count);
  }
  expect(unhandled).toEqual([]);
});
