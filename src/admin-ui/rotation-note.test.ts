import { expect, test } from "bun:test";
import { clock, time } from "./format.ts";
import { gatewayNow, noteGatewayDate } from "./gateway-clock.ts";
import { rotationNote } from "./rotation-note.ts";

const NOW = Date.parse("2026-12-06T10:00:00Z");
const at = (ms: number) => new Date(ms).toISOString();

test("the old key's end is the one the gateway wrote, which a grace past the key's own expiry does not lengthen", () => {
  const soon = NOW + 5 * 60_000;
  expect(rotationNote("1h", at(soon), NOW)).toBe(`rotated; the old key works until ${clock(soon)}`);
  const hour = NOW + 3_600_000;
  expect(rotationNote("1h", at(hour), NOW)).toBe(`rotated; the old key works until ${clock(hour)}`);
  // Past a day, the time of day alone would not say which day.
  const week = NOW + 7 * 86_400_000;
  expect(rotationNote("7d", at(week), NOW)).toBe(
    `rotated; the old key works until ${time(week).slice(0, 19)}`,
  );
});

test("an old key ended at once says so; a gateway that sent no end is quoted the grace asked for", () => {
  expect(rotationNote("0s", at(NOW), NOW)).toBe("rotated; the old key no longer works");
  expect(rotationNote("1h", null, NOW)).toBe("rotated; the old key works for 1h more");
});

test("the end is told against the gateway's clock, not the browser's: a browser ahead still reads the key as working", () => {
  // The gateway 10 minutes behind the page; its old key ends 5 minutes from the gateway's now.
  const received = Date.now();
  noteGatewayDate(new Date(received - 600_000).toUTCString(), received);
  const end = gatewayNow() + 5 * 60_000;
  expect(rotationNote("5m", at(end))).toBe(`rotated; the old key works until ${clock(end)}`);
  noteGatewayDate(new Date(Date.now()).toUTCString(), Date.now());
});
