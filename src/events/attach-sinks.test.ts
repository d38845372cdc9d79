import { expect, test } from "bun:test";
import { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { ListenerFaults } from "../audit/listener-faults.ts";
import { recordingLogger } from "../testing/recording-logger.ts";
import { waitFor } from "../testing/wait-for.ts";
import { attachSinks } from "./attach-sinks.ts";
import { embedderSinks } from "./named-sink.ts";

const reloaded = (version: number): GatewayEvent => ({ type: "config.reloaded", at: version, version });

test("two sinks failing are one warning each, naming the sink, once a burst; each failure counted once", async () => {
  const { logger, lines } = recordingLogger();
  const bus = new EventBus(Date.now, new ListenerFaults(logger));
  const heard: GatewayEvent[] = [];
  const close = attachSinks(
    bus,
    embedderSinks([
      {
        publish() {
          throw new Error("kafka down");
        },
      },
      {
        async publish() {
          throw new Error("disk full");
        },
      },
      { publish: (event) => void heard.push(event) },
    ]),
  );
  for (let version = 1; version <= 3; version++) bus.publish(reloaded(version));
  expect(heard).toEqual([reloaded(1), reloaded(2), reloaded(3)]);
  await waitFor("the rejections counted", () => bus.faults.total === 6);
  expect(lines).toEqual([
    {
      level: "warn",
      message: "an event sink's publish failed: Error: kafka down",
      fields: { sink: "events[0]", event: "config.reloaded" },
    },
    {
      level: "warn",
      message: "an event sink's publish failed: Error: disk full",
      fields: { sink: "events[1]", event: "config.reloaded" },
    },
  ]);
  await close();
});

test("a sink that rejects with what has no words, or throws it, is counted and said, never an unhandled rejection; the sink beside it gets every event", async () => {
  let unhandled = 0;
  const count = () => void unhandled++;
  process.on("unhandledRejection", count);
  try {
    const { logger, lines } = recordingLogger();
    const bus = new EventBus(Date.now, new ListenerFaults(logger));
    const unreadable = new Error("never read");
    Object.defineProperty(unreadable, "message", {
      get() {
        throw new Error("message getter broke");
      },
    });
    const heard: GatewayEvent[] = [];
    const close = attachSinks(
      bus,
      embedderSinks([
        {
          async publish() {
            throw Object.create(null);
          },
        },
        {
          publish() {
            throw unreadable;
          },
        },
        { publish: (event) => void heard.push(event) },
      ]),
    );
    expect(() => bus.publish(reloaded(1))).not.toThrow();
    expect(heard).toEqual([reloaded(1)]);
    await waitFor("the rejection counted", () => bus.faults.total === 2);
    // A turn of the loop after it: where an unhandled rejection would have been reported.
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => [line.message, line.fields?.sink])).toEqual([
      ["an event sink's publish failed: an error whose words cannot be read", "events[1]"],
      ["an event sink's publish failed: an error whose words cannot be read", "events[0]"],
    ]);
    await close();
  } finally {
    process.off("unhandledRejection", count);
  }
  expect(unhandled).toBe(0);
});
