import { afterAll, expect, test } from "bun:test";
import {
  type ConfigSource,
  type ConfigWatchHandlers,
  createGateway,
  type Gateway,
  type GatewayEvent,
  parseConfig,
} from "./index.ts";
import { recordingLogger } from "./testing/recording-logger.ts";

// An embedder's own ConfigSource (a control plane, a database) refusing a change with words of its
// own, through the exports only: what it says is logged, published and shown as any refusal is.

const gateways: Gateway[] = [];
afterAll(async () => {
  for (const gateway of gateways) await gateway.stop().catch(() => {});
});

const config = parseConfig({
  storage: { path: ":memory:" },
  auth: { bootstrap_admin: false },
  providers: [{ name: "demo", type: "mock" }],
  models: [{ name: "m", routes: [{ provider: "demo", model: "m" }] }],
});

/** A source that hands the gateway's handlers to the test. */
function heldSource(): { source: ConfigSource; handlers(): ConfigWatchHandlers } {
  let held: ConfigWatchHandlers | undefined;
  return {
    source: {
      initial: config,
      path: null,
      watch: (handlers) => {
        held = handlers;
        return () => {};
      },
    },
    handlers: () => {
      if (!held) throw new Error("the gateway did not watch its config source");
      return held;
    },
  };
}

test("a source's refusal that quotes a credential is logged, published and shown with it redacted, as a part's refusal is", async () => {
  const { source, handlers } = heldSource();
  const { logger, lines } = recordingLogger();
  const events: GatewayEvent[] = [];
  const gateway = await createGateway({
    configSource: source,
    // A gateway-wide admin, so that the status below is read.
    auth: async () => ({
      keyId: null,
      name: "ops",
      tenant: "default",
      role: "admin",
      models: ["*"],
      limits: {},
      via: "jwt",
    }),
    logger,
    events: [{ publish: (event) => void events.push(event) }],
  });
  gateways.push(gateway);
  // What a control plane's client may throw: the URL it was given, and a key it sent.
  await handlers().onInvalid(
    new Error("cannot fetch https://cfg:hunter2secret@plane.internal/gw (api_key=sk-live-0123456789abcdef)"),
  );
  const told = "cannot fetch https://cfg:[redacted]@plane.internal/gw (api_key=[redacted])";
  expect(gateway.lastReloadError()).toBe(told);
  const rejected = events.find((event) => event.type === "config.rejected");
  expect(rejected?.type === "config.rejected" ? rejected.error : undefined).toBe(told);
  const said = JSON.stringify(lines);
  expect(said).not.toContain("hunter2secret");
  expect(said).not.toContain("0123456789abcdef");
  expect(said).toContain(told);
  const status = await gateway.handle(new Request("http://gw/admin/api/status"));
  expect(((await status.json()) as { config: { lastReloadError: string } }).config.lastReloadError).toBe(
    told,
  );
});
