import { describe, expect, test } from "bun:test";
import { loweredEffort } from "./refused-effort.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor } from "./router-test-kit.ts";
import { MESSAGE, oneRoute, refusal, refusedBy } from "./router-unsupported-fixture.ts";

// Claude's refusals of an effort level it takes only lower, read for the level to send instead
// (through the gateway: src/providers/anthropic/chat-effort-levels.test.ts).

const OFF = (level: string) =>
  `output_config.effort '${level}' is not supported when thinking is disabled on this model. Use effort 'high' or below, or enable thinking.`;
const LACKED = "This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium.";
const MESSAGES = { "output_config.effort": "reasoning_effort" };

describe("loweredEffort", () => {
  test("the level the words name, at either path a translation writes", () => {
    expect(loweredEffort(OFF("max"), MESSAGES)).toEqual({
      path: "output_config.effort",
      callerName: "reasoning_effort",
      level: "high",
    });
    // Converse's Claude, the chat body's field, after AWS's lead.
    const bedrock = `The model returned the following errors: ${OFF("xhigh")}`;
    expect(loweredEffort(bedrock, { reasoning_effort: "output_config.effort" })).toEqual({
      path: "reasoning_effort",
      callerName: "output_config.effort",
      level: "high",
    });
  });

  test("of the levels listed, the most at or below the one refused", () => {
    expect(loweredEffort(LACKED, MESSAGES)?.level).toBe("high");
    const onlyLow = "This model does not support effort level 'medium'. Supported levels: low.";
    expect(loweredEffort(onlyLow, MESSAGES)?.level).toBe("low");
  });

  test("a level the words do not give on Anthropic's scale: the field left out", () => {
    const odd = OFF("xhigh").replace("'high'", "'turbo'");
    expect(loweredEffort(odd, MESSAGES)).toEqual({
      path: "output_config.effort",
      callerName: "reasoning_effort",
    });
  });

  test("no other refusal, and no call whose translation set no effort", () => {
    expect(loweredEffort("This model does not support the effort parameter.", MESSAGES)).toBeUndefined();
    expect(loweredEffort(OFF("xhigh"), { top_p: "top_p" })).toBeUndefined();
  });
});

describe("the router, on that refusal", () => {
  const opus5 = () =>
    fakeProvider("p", (call) =>
      (call.body.output_config as { effort?: string } | undefined)?.effort === "xhigh"
        ? Promise.reject(
            refusal("p", { type: "error", error: { type: "invalid_request_error", message: OFF("xhigh") } }),
          )
        : Promise.resolve(jsonReply(MESSAGE)),
    );
  const call = () =>
    chatRequest("m", {
      body: { model: "m", messages: [{ role: "user", content: "hi" }], reasoning_effort: "xhigh" },
    });

  test("sends it again at that level, once, and names the caller's field", async () => {
    const claude = { ...opus5(), dialect: "anthropic" as const };
    const { router, logs } = routerFor(oneRoute("anthropic"), [claude]);
    const dispatched = await router(call());
    expect(claude.calls.map((sent) => sent.body.output_config)).toEqual([
      { effort: "xhigh" },
      { effort: "high" },
    ]);
    expect(dispatched.dropped).toEqual(["reasoning_effort"]);
    expect(logs).toEqual([
      expect.objectContaining({
        message: "route's model refused a field the caller's API takes: sent again at effort high",
        fields: expect.objectContaining({ field: "output_config.effort", effort: "high" }),
      }),
    ]);
  });

  test("not under translation.unsupported: reject, where the caller hears of it", async () => {
    const claude = { ...opus5(), dialect: "anthropic" as const };
    const rejecting = oneRoute("anthropic", "up", { translation: { unsupported: "reject" } });
    const error = await refusedBy(routerFor(rejecting, [claude]).router, call());
    expect([error.status, error.message]).toEqual([400, OFF("xhigh")]);
    expect(claude.calls).toHaveLength(1);
  });
});
