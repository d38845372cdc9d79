import { expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { freePort } from "../../testing/free-port.ts";
import { createLeanFetch } from "./http1/lean-fetch.ts";
import { unreachable } from "./unreachable.ts";
import { UpstreamPost } from "./upstream-post.ts";

/** What `call` rejected with. */
const thrown = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

test("a refused port, through native fetch and the lean client alike: the cause's words and code, the runtime's own kept as the cause", async () => {
  const url = `http://127.0.0.1:${freePort()}/v1/chat/completions`;
  const lean = createLeanFetch({ fallback: fetch });
  for (const error of [
    await thrown(fetch(url, { method: "POST" })),
    await thrown(lean(url, { method: "POST" })),
  ]) {
    const failure = unreachable("up", error);
    expect(failure).toBeInstanceOf(GatewayError);
    expect([failure.status, failure.retryable, failure.message]).toEqual([
      502,
      true,
      "could not reach upstream up: connection refused (ECONNREFUSED)",
    ]);
    expect(failure.cause).toBe(error);
  }
  expect(unreachable("up", new Error("x")).message).toBe("could not reach upstream up");
});

test("an embedder's fetch that throws a GatewayError is told as it threw it; a URL the runtime would not take is no unreachable host", async () => {
  const own = new GatewayError({
    status: 503,
    code: "unavailable",
    message: "the embedder's egress is closed",
  });
  const post = new UpstreamPost("up", {}, "{}", { signal: new AbortController().signal });
  expect(await thrown(Promise.reject(own).catch(post.failed))).toBe(own);
  for (const [url, code] of [
    ["ftp://models.internal/v1", "ERR_INVALID_ARG_VALUE"],
    ["http://exa mple.internal/v1", "ERR_INVALID_URL"],
  ] as const) {
    const failure = unreachable("up", await thrown(fetch(url, { method: "POST" })));
    expect(failure.message).toBe(`could not reach upstream up: request failed (${code})`);
  }
});
