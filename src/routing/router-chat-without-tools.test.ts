import { describe, expect, test } from "bun:test";
import { upstreamFailure } from "../providers/http/upstream-failure.ts";
import { chatRequest, fakeProvider, jsonReply, modelOver, routerFor } from "./router-test-kit.ts";
import { MESSAGE, oneRoute, refusedBy } from "./router-unsupported-fixture.ts";

// A chat call's settings that ask for nothing without tools or a stream (`tools: []`, `tool_choice`
// `none` or `auto`, `parallel_tool_calls`, `stream_options`) toward a translated route: left out and
// named, or refused under `translation.unsupported: reject` as any field left out is. A
// `tool_choice` that asks for a call with nothing to call is OpenAI's 400 wherever it is judged.

const claude = () => ({
  ...fakeProvider("p", () => Promise.resolve(jsonReply(MESSAGE))),
  dialect: "anthropic" as const,
});

const asking = (fields: object) =>
  chatRequest("m", { body: { model: "m", messages: [{ role: "user", content: "hi" }], ...fields } });

describe("a chat call's tool settings without tools, toward Claude", () => {
  test("tool_choice none is left out and named, the call sent", async () => {
    const provider = claude();
    const dispatched = await routerFor(oneRoute("anthropic"), [provider]).router(
      asking({ tool_choice: "none" }),
    );
    expect(provider.calls[0]?.body.tool_choice).toBeUndefined();
    expect(dispatched.dropped).toEqual(["tool_choice (no tools)"]);
  });

  test("under translation.unsupported: reject, a 400 naming the field, nothing sent", async () => {
    const provider = claude();
    const { router } = routerFor(oneRoute("anthropic", "up", { translation: { unsupported: "reject" } }), [
      provider,
    ]);
    for (const [fields, param] of [
      [{ tool_choice: "none" }, "tool_choice"],
      [{ tools: [] }, "tools"],
      [{ parallel_tool_calls: true }, "parallel_tool_calls"],
      [{ stream_options: { include_usage: true } }, "stream_options"],
    ] as const) {
      const refused = await refusedBy(router, asking(fields));
      expect(refused.status).toBe(400);
      expect(refused.param).toBe(param);
      expect(refused.message).toContain("translation.unsupported: reject");
    }
    expect(provider.calls).toHaveLength(0);
  });
});

describe("a fallback route's translation refuses the request after the primary failed", () => {
  const routes = modelOver(
    [
      { provider: "vllm", type: "openai", model: "v" },
      { provider: "p", type: "anthropic", model: "c" },
    ],
    { retries: 0 },
  );
  const overloaded = () =>
    fakeProvider("vllm", () =>
      Promise.reject(upstreamFailure("vllm", { status: 503, headers: new Headers(), text: "overloaded" })),
    );

  test("the caller gets the refusal of its request (400), not the primary's 503", async () => {
    const primary = overloaded();
    const fallback = claude();
    const { router } = routerFor(routes, [primary, fallback]);
    const refused = await refusedBy(router, asking({ tool_choice: "required" }));
    expect(primary.calls).toHaveLength(1);
    expect(fallback.calls).toHaveLength(0);
    expect(refused.status).toBe(400);
    expect(refused.param).toBe("tool_choice");
  });

  test("what asks for nothing goes on to the fallback, named", async () => {
    const primary = overloaded();
    const fallback = claude();
    const { router } = routerFor(routes, [primary, fallback]);
    const dispatched = await router(asking({ tool_choice: "none" }));
    expect(primary.calls[0]?.body.tool_choice).toBe("none");
    expect(fallback.calls).toHaveLength(1);
    expect(dispatched.dropped).toEqual(["tool_choice (no tools)"]);
  });
});
