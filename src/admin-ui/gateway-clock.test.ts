import { expect, test } from "bun:test";
import { gatewayNow, noteGatewayDate } from "./gateway-clock.ts";

test("the gateway's clock is read from its Date header: minutes off told, a rounding's second not", () => {
  const page = Date.parse("2026-12-07T12:00:00.700Z");
  noteGatewayDate("Mon, 07 Dec 2026 11:55:00 GMT", page);
  expect(Math.round((gatewayNow() - Date.now()) / 1000)).toBe(-300);
  noteGatewayDate("Mon, 07 Dec 2026 12:00:00 GMT", page); // in step: its second cut, not a skew
  expect(gatewayNow() - Date.now()).toBeLessThanOrEqual(1);
  noteGatewayDate("not a date", page); // left as it was
  noteGatewayDate(null, page);
  expect(gatewayNow() - Date.now()).toBeLessThanOrEqual(1);
});
