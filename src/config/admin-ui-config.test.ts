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

test("admin_ui.session_idle_timeout is 30m unless set, 2m to 7d: last use is stored a minute at a time", () => {
  expect(parseConfig({}, {}).admin_ui.session_idle_timeout).toBe(30 * 60_000);
  expect(parseConfig({ admin_ui: { session_idle_timeout: "15m" } }, {}).admin_ui.session_idle_timeout).toBe(
    15 * 60_000,
  );
  expect(parseConfig({ admin_ui: { session_idle_timeout: "12h" } }, {}).admin_ui.session_idle_timeout).toBe(
    12 * 3_600_000,
  );
  for (const wrong of ["0s", "90s", "8d", "soon"]) {
    const said = problems({ admin_ui: { session_idle_timeout: wrong } });
    expect(said).toEqual([expect.stringMatching(/^admin_ui\.session_idle_timeout: /)]);
  }
});

test("a wall screen's session_idle_timeout, as the docs advise it: session_ttl, or 7d (its most) when session_ttl is longer", () => {
  const wall = (session_ttl: string, session_idle_timeout: string) =>
    parseConfig({ admin_ui: { session_ttl, session_idle_timeout } }, {}).admin_ui;
  expect(wall("12h", "12h")).toMatchObject({
    session_ttl: 12 * 3_600_000,
    session_idle_timeout: 12 * 3_600_000,
  });
  expect(wall("30d", "7d")).toMatchObject({
    session_ttl: 30 * 86_400_000,
    session_idle_timeout: 7 * 86_400_000,
  });
  // session_ttl itself, past the most: refused, saying what to set instead.
  expect(problems({ admin_ui: { session_ttl: "30d", session_idle_timeout: "30d" } })).toEqual([
    "admin_ui.session_idle_timeout: at most 7d (for a wall screen, set it to session_ttl, or to 7d when session_ttl is longer)",
  ]);
});
