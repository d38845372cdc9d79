import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { changesBeyondRestartOnly } from "./changes-beyond-restart-only.ts";

const config = (extra: object = {}) =>
  parseConfig(
    {
      providers: [{ name: "a", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
      models: [{ name: "m", routes: [{ provider: "a", model: "x" }] }],
      ...extra,
    },
    {},
  );

test("an edit of restart-only settings alone (a prefix covering its fields) changes nothing a running gateway applies", () => {
  const started = config();
  expect(changesBeyondRestartOnly(started, config())).toBe(false);
  expect(changesBeyondRestartOnly(started, config({ log: { level: "debug", format: "json" } }))).toBe(false);
  expect(changesBeyondRestartOnly(started, config({ server: { port: 9999 } }))).toBe(false);
  expect(changesBeyondRestartOnly(started, config({ workers: { max_message: "2MB" } }))).toBe(false);
});

test("any other field is a change to apply, beside restart-only ones or under the same section", () => {
  const started = config();
  expect(changesBeyondRestartOnly(started, config({ routing: { retries: 5 } }))).toBe(true);
  expect(
    changesBeyondRestartOnly(started, config({ log: { level: "debug" }, routing: { retries: 5 } })),
  ).toBe(true);
  // `server.port` is restart-only, `server.max_body` is not.
  expect(changesBeyondRestartOnly(started, config({ server: { max_body: "1MB" } }))).toBe(true);
  expect(
    changesBeyondRestartOnly(
      started,
      config({ models: [{ name: "m", routes: [{ provider: "a", model: "y" }] }] }),
    ),
  ).toBe(true);
});
