import { describe, expect, test } from "bun:test";
import { AwsClock } from "./aws-clock.ts";

const NOW = Date.UTC(2026, 11, 7, 1, 0, 0);
const refusal = (serverTime: number, type = "InvalidSignatureException:http://internal.amazon.com/coral/") =>
  new Response("{}", {
    status: 403,
    headers: { "x-amzn-errortype": type, date: new Date(serverTime).toUTCString() },
  });

describe("AwsClock", () => {
  test("signs by the host's clock until AWS's Date says it is five minutes or more off, then by AWS's", () => {
    const clock = new AwsClock(() => NOW);
    expect(clock.signingDate()).toBeUndefined();
    expect(clock.corrected(refusal(NOW + 20 * 60_000))).toBe(true);
    expect(clock.signingDate()).toBe("20261207T012000Z");
    // Once corrected, the same refusal again is no skew: not sent a third time.
    expect(clock.corrected(refusal(NOW + 20 * 60_000))).toBe(false);
  });

  test("a refusal in those words with a Date near the clock (a wrong secret key) is not corrected, nor any other answer", () => {
    const clock = new AwsClock(() => NOW);
    expect(clock.corrected(refusal(NOW + 60_000))).toBe(false);
    expect(clock.corrected(refusal(NOW + 20 * 60_000, "AccessDeniedException"))).toBe(false);
    expect(
      clock.corrected(
        new Response("{}", { status: 400, headers: { date: "Mon, 07 Dec 2026 03:00:00 GMT" } }),
      ),
    ).toBe(false);
    expect(clock.signingDate()).toBeUndefined();
  });
});
