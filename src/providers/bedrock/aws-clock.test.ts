import { describe, expect, test } from "bun:test";
import { providerCall } from "../../testing/provider-call.ts";
import { AwsClock, amzTime } from "./aws-clock.ts";
import { bedrockCalls } from "./bedrock-call.ts";

const NOW = Date.UTC(2026, 11, 7, 1, 0, 0);
const refusal = (serverTime: number, type = "InvalidSignatureException:http://internal.amazon.com/coral/") =>
  new Response("{}", {
    status: 403,
    headers: { "x-amzn-errortype": type, date: new Date(serverTime).toUTCString() },
  });

describe("AwsClock", () => {
  test("signs by the host's clock until AWS's Date says it is five minutes or more off, then by AWS's", () => {
    const clock = new AwsClock(() => NOW);
    expect(clock.signingDate()).toBe("20261207T010000Z");
    expect(clock.corrected(refusal(NOW + 20 * 60_000), "20261207T010000Z")).toBe(true);
    expect(clock.signingDate()).toBe("20261207T012000Z");
    // Once corrected, the same refusal of a call signed by AWS's time is no skew: not sent a third time.
    expect(clock.corrected(refusal(NOW + 20 * 60_000), "20261207T012000Z")).toBe(false);
    // One signed by the old clock before the correction is sent again; the offset stays.
    expect(clock.corrected(refusal(NOW + 20 * 60_000), "20261207T010000Z")).toBe(true);
    expect(clock.signingDate()).toBe("20261207T012000Z");
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
    expect(clock.signingDate()).toBe("20261207T010000Z");
  });
});

test("calls in flight when the clock is first corrected, signed by the host's clock, are each signed again by AWS's: all served", async () => {
  const AHEAD = 20 * 60_000;
  const inFlight = 3;
  let sent = 0;
  let heldOpen: () => void = () => {};
  // The first three are all sent, signed by the host's clock, before AWS answers any of them.
  const allSent = new Promise<void>((resolve) => {
    heldOpen = resolve;
  });
  const aws = (async (_url: string, init: RequestInit) => {
    if (++sent === inFlight) heldOpen();
    await allSent;
    const server = Date.now() + AHEAD;
    const signedAt = amzTime(new Headers(init.headers).get("x-amz-date") ?? "");
    // AWS refuses a signature more than 15 minutes off its clock.
    if (Math.abs(server - signedAt) <= 15 * 60_000) return new Response("{}");
    return new Response(JSON.stringify({ message: "Signature expired" }), {
      status: 403,
      headers: {
        "x-amzn-errortype": "InvalidSignatureException:http://internal.amazon.com/coral/",
        date: new Date(server).toUTCString(),
      },
    });
  }) as unknown as typeof fetch;
  const calls = bedrockCalls({
    name: "br",
    region: "eu-west-1",
    baseUrl: "http://127.0.0.1:1",
    credentials: { access_key_id: "AKIAEXAMPLE12345", secret_access_key: "secret" },
    env: {},
    fetch: aws,
  });
  const answers = await Promise.allSettled(
    Array.from({ length: inFlight }, () => calls.send(providerCall({}), "m", "converse", "{}")),
  );
  expect(
    answers.map((answer) => (answer.status === "fulfilled" ? answer.value.status : answer.reason)),
  ).toEqual([200, 200, 200]);
  // Each refused once, then sent again signed by AWS's time.
  expect(sent).toBe(2 * inFlight);
});
