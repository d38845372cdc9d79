import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { reasonOf } from "./access-log.ts";

test("a reason is one line, bounded, and never carries a credential", () => {
  const error = new GatewayError({
    status: 401,
    code: "unauthorized",
    message: "Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz123456\nsee docs",
  });
  expect(reasonOf(error)).toBe("Incorrect API key provided: [redacted] see docs");
  const long = new GatewayError({ status: 502, code: "upstream_error", message: "x".repeat(2000) });
  expect(reasonOf(long)?.length).toBe(501);
  expect(reasonOf(undefined)).toBeUndefined();
});
