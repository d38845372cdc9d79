import { expect, test } from "bun:test";
import { GATEWAY_EVENT_TYPES } from "../audit/gateway-event.ts";
import { parseConfig } from "../config/load-config.ts";

const withSinks = (events: object) =>
  parseConfig(
    {
      providers: [{ name: "a", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
      models: [{ name: "m", routes: [{ provider: "a", model: "x" }] }],
      events,
    },
    {},
  );

const hook = (types: string[]) => ({ url: "https://hooks.example/in", secret: "0123456789abcdef", types });

test("a sink's types filter that names no event type is refused at load, naming the field", () => {
  // A typo would otherwise match nothing, silently: the sink would never hear of a restart-only edit.
  expect(() => withSinks({ webhooks: [hook(["config.reloaded", "config.restart-required"])] })).toThrow(
    /events\.webhooks\[0\]\.types\[1\]/,
  );
  expect(() => withSinks({ redis_stream: { url: "redis://127.0.0.1:1", types: ["worker.gone"] } })).toThrow(
    /events\.redis_stream\.types\[0\]/,
  );
});

test("every event type the gateway sends may be named, config.restart_required among them", () => {
  const config = withSinks({ webhooks: [hook([...GATEWAY_EVENT_TYPES])] });
  expect(config.events.webhooks[0]?.types).toContain("config.restart_required");
});
