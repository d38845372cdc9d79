// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { expect, test } from "bun:test";
import type { ConfigError } from "./config-error.ts";
import { parseConfig } from "./load-config.ts";

const problems = (document: object) => {
  try {
    parseConfig(document, {});
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

test("admin_ui.sign_in_per_minute is 20 unless set, a whole number above 0, from ${VAR} text too", () => {
  expect(parseConfig({}, {}).admin_ui.sign_in_per_minute).toBe(20);
  const given = parseConfig({ admin_ui: { sign_in_per_minute: "${N:-5}" } }, {});
  expect(given.admin_ui.sign_in_per_minute).toBe(5);
  for (const wrong of [0, -1, 2.5, "many"])
    expect(problems({ admin_ui: { sign_in_per_minute: wrong } })).toHaveLength(1);
});
