import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { responsesRequestToChat } from "./responses-request-to-chat.ts";

const SEARCHES = { webSearch: true };

describe("a Responses web_search tool on a chat target that searches", () => {
  test("becomes web_search_options, its context size and flat location as chat's", () => {
    for (const type of ["web_search", "web_search_preview", "web_search_2025_08_26"]) {
      const { body, dropped } = responsesRequestToChat(
        {
          model: "m",
          input: "news?",
          tools: [
            { type: "function", name: "f" },
            {
              type,
              search_context_size: "high",
              user_location: { type: "approximate", city: "Paris", country: "FR", timezone: "Europe/Paris" },
            },
          ],
        },
        [],
        "drop",
        new Map(),
        SEARCHES,
      );
      expect(body.web_search_options).toEqual({
        search_context_size: "high",
        user_location: {
          type: "approximate",
          approximate: { city: "Paris", country: "FR", timezone: "Europe/Paris" },
        },
      });
      expect((body.tools as unknown[]).length).toBe(1);
      expect(dropped).toEqual([]);
    }
  });

  test("a bare tool asks search as OpenAI's defaults do; its filters are named, or refused under reject", () => {
    const body = {
      model: "m",
      input: "hi",
      tools: [{ type: "web_search", filters: { allowed_domains: ["a.org"] } }],
    };
    const translated = responsesRequestToChat(body, [], "drop", new Map(), SEARCHES);
    expect(translated.body.web_search_options).toEqual({});
    expect(translated.body.tools).toBeUndefined();
    expect(translated.dropped).toEqual(["tools.web_search.filters"]);
    let refused: GatewayError | undefined;
    try {
      responsesRequestToChat(body, [], "reject", new Map(), SEARCHES);
    } catch (error) {
      refused = error as GatewayError;
    }
    expect([refused?.status, refused?.param]).toEqual([400, "tools[0].filters"]);
  });

  test("to a target that cannot search it stays a hosted tool, dropped and named", () => {
    const { body, dropped } = responsesRequestToChat({
      model: "m",
      input: "hi",
      tools: [{ type: "web_search_preview", search_context_size: "low" }],
    });
    expect(body.web_search_options).toBeUndefined();
    expect(dropped).toEqual(["tools.web_search_preview"]);
  });

  // OpenAI's tool_choice may force the search (`{type: "web_search_preview"}`); chat has no way to
  // say so, so the search is offered and the forcing named, or the call refused under reject.
  test("a tool_choice forcing the search: the search still asked, the choice named", () => {
    const body = {
      model: "m",
      input: "hi",
      tools: [{ type: "web_search_preview" }],
      tool_choice: { type: "web_search_preview" },
    };
    const translated = responsesRequestToChat(body, [], "drop", new Map(), SEARCHES);
    expect(translated.body.web_search_options).toEqual({});
    expect(translated.body.tool_choice).toBeUndefined();
    expect(translated.dropped).toEqual(["tool_choice.web_search_preview"]);
    let refused: GatewayError | undefined;
    try {
      responsesRequestToChat(body, [], "reject", new Map(), SEARCHES);
    } catch (error) {
      refused = error as GatewayError;
    }
    expect([refused?.status, refused?.param]).toEqual([400, "tool_choice.type"]);
  });
});
