import { expect, test } from "bun:test";
import { baseUrlWarnings } from "./base-url-warnings.ts";
import { parseConfig } from "./load-config.ts";

const warned = (providers: unknown[]) => baseUrlWarnings(parseConfig({ providers }, {}));

test("an anthropic base_url ending in /v1 is warned of, naming the root meant; never its user info or query", () => {
  expect(
    warned([
      { name: "claude", type: "anthropic", base_url: "https://user:pw@proxy.example.com/anthropic/v1/?k=1" },
    ]),
  ).toEqual([
    "provider claude (anthropic): base_url https://proxy.example.com/anthropic/v1 ends in /v1, but an anthropic base_url is the API root: requests go to {base_url}/v1/messages, here …/v1/v1/messages; did you mean https://proxy.example.com/anthropic?",
  ]);
  expect(warned([{ name: "a", type: "anthropic", base_url: "https://api.anthropic.com/v1" }])).toEqual([
    expect.stringContaining("did you mean https://api.anthropic.com?"),
  ]);
});

test("the API root, no base_url, and an openai base_url with /v1 (its own convention) are not", () => {
  expect(
    warned([
      { name: "a", type: "anthropic", base_url: "https://api.anthropic.com" },
      { name: "b", type: "anthropic", base_url: "https://proxy.example.com/v1beta" },
      { name: "c", type: "anthropic" },
      { name: "o", type: "openai", base_url: "https://api.openai.com/v1" },
    ]),
  ).toEqual([]);
});
