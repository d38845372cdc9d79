import { expect, test } from "bun:test";
import { chatRequestToMessages } from "./chat-request-to-messages.ts";
import { rejected } from "./testing/rejected.ts";

// Chat's web_search_options as Anthropic's web_search tool: what asks for search and what is refused.
// Through the gateway with the OpenAI SDK: routing/chat-to-claude-answers.test.ts.

const ask = (web_search_options: unknown) => ({
  model: "m",
  messages: [{ role: "user", content: "x" }],
  web_search_options,
});

test("{} asks for search as OpenAI's defaults; null asks nothing", () => {
  expect(chatRequestToMessages(ask({})).tools).toEqual([{ type: "web_search_20250305", name: "web_search" }]);
  expect(chatRequestToMessages(ask(null)).tools).toBeUndefined();
});

test("only the location's own fields go; a context size is refused under reject, by its path", () => {
  const location = { type: "approximate", approximate: { timezone: "Europe/Paris", region: "IDF", zip: 1 } };
  expect(chatRequestToMessages(ask({ user_location: location })).tools).toEqual([
    {
      type: "web_search_20250305",
      name: "web_search",
      user_location: { type: "approximate", region: "IDF", timezone: "Europe/Paris" },
    },
  ]);
  expect(rejected(ask({ search_context_size: "low" }))?.param).toBe("web_search_options.search_context_size");
  expect(rejected(ask({}))).toBeUndefined();
});

test("options that are no object: the caller's 400, naming the field", () => {
  const error = rejected(ask("yes"));
  expect([error?.status, error?.param, error?.message]).toEqual([
    400,
    "web_search_options",
    "web_search_options: must be an object",
  ]);
});
