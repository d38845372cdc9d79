import { describe, expect, test } from "bun:test";
import { toldMessage } from "./error-wire.ts";
import { GatewayError } from "./gateway-error.ts";

/** An upstream's 500 as the provider reads it: the gateway's words, the upstream's body kept. */
const upstream500 = (body: Record<string, unknown>, dialect: "openai" | "anthropic") =>
  new GatewayError({
    status: 502,
    code: "upstream_error",
    message: "upstream fake answered 500",
    upstream: { dialect, status: 500, body, text: JSON.stringify(body) },
  });

describe("toldMessage", () => {
  test("a caller of the upstream's dialect reads the upstream's own words", () => {
    const openai = upstream500({ error: { message: "upstream exploded", type: "server_error" } }, "openai");
    expect(toldMessage(openai, "openai")).toBe("upstream exploded");
    const anthropic = upstream500(
      { type: "error", error: { type: "api_error", message: "overheated" } },
      "anthropic",
    );
    expect(toldMessage(anthropic, "anthropic")).toBe("overheated");
  });

  test("a caller of another dialect reads the gateway's words, as its error body says them", () => {
    const openai = upstream500({ error: { message: "upstream exploded" } }, "openai");
    expect(toldMessage(openai, "anthropic")).toBe("upstream fake answered 500");
  });

  test("a relayed body without a message, or the gateway's own error, gives the gateway's words", () => {
    expect(toldMessage(upstream500({ error: { type: "server_error" } }, "openai"), "openai")).toBe(
      "upstream fake answered 500",
    );
    const own = new GatewayError({ status: 404, code: "model_not_found", message: "no such model" });
    expect(toldMessage(own, "openai")).toBe("no such model");
    expect(toldMessage(own, "anthropic")).toBe("no such model");
  });
});
