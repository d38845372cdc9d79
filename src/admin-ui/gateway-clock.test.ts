import { expect, test } from "bun:test";
import { gatewayNow, noteGatewayDate } from "./gateway-clock.ts";

/** How far the page now counts the gateway's clock from its own, in ms. */
const skew = () => gatewayNow() - Date.now();

test("the gateway's clock is read from its Date header: minutes off told, a rounding's second not", () => {
  const page = Date.parse("2026-12-07T12:00:00.700Z");
  noteGatewayDate("Mon, 07 Dec 2026 11:55:00 GMT", page);
  expect(Math.round(skew() / 1000)).toBe(-300);
  noteGatewayDate("Mon, 07 Dec 2026 12:00:00 GMT", page); // in step again: its second cut, not a skew
  expect(Math.abs(skew())).toBeLessThanOrEqual(1);
  noteGatewayDate("not a date", page); // left as it was
  noteGatewayDate(null, page);
  expect(Math.abs(skew())).toBeLessThanOrEqual(1);
});

test("a skew once read holds against readings within a header's rounding of it: figures do not jump", () => {
  // The gateway 1.6 s ahead; answers received 20 ms after their stamp, at different points of a second.
  noteGatewayDate("Mon, 07 Dec 2026 12:00:01 GMT", Date.parse("2026-12-07T11:59:59.900Z"));
  const held = skew();
  expect(held).toBeGreaterThanOrEqual(1_500);
  for (const receivedAt of ["12:00:00.130", "12:00:00.400", "12:00:00.610"]) {
    noteGatewayDate("Mon, 07 Dec 2026 12:00:01 GMT", Date.parse(`2026-12-07T${receivedAt}Z`));
    expect(Math.abs(skew() - held)).toBeLessThanOrEqual(1);
  }
  // A reading past the rounding is a change of skew, taken.
  noteGatewayDate("Mon, 07 Dec 2026 12:05:00 GMT", Date.parse("2026-12-07T12:00:00.000Z"));
  expect(Math.round(skew() / 1000)).toBe(301);
  noteGatewayDate("Mon, 07 Dec 2026 12:00:00 GMT", Date.parse("2026-12-07T12:00:00.600Z"));
  expect(Math.abs(skew())).toBeLessThanOrEqual(1);
});
