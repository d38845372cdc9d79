import { expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { createLeanFetch } from "./http1/lean-fetch.ts";
import { unreachable, whyUnreachable } from "./unreachable.ts";

/** A loopback port that refuses: a server's, stopped. */
function refusingPort(): number {
  const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = server.port ?? 0;
  server.stop(true);
  return port;
}

/** What `call` rejected with. */
const thrown = (call: Promise<unknown>) =>
  call.then(
    () => {
      throw new Error("expected a failure");
    },
    (error: unknown) => error,
  );

test("a refused port, through native fetch and the lean client alike: the cause's words and code, the runtime's own kept as the cause", async () => {
  const url = `http://127.0.0.1:${refusingPort()}/v1/chat/completions`;
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
});

test("each code by the words an operator acts on; an unknown code quoted as it is; no code, no words", () => {
  const coded = (code: unknown) =>
    Object.assign(new Error("runtime words naming internal.example"), { code });
  expect(whyUnreachable(coded("ENOTFOUND"))).toBe("DNS lookup failed (ENOTFOUND)");
  expect(whyUnreachable(coded("DEPTH_ZERO_SELF_SIGNED_CERT"))).toBe(
    "TLS certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)",
  );
  expect(whyUnreachable(coded("CERT_HAS_EXPIRED"))).toBe("TLS certificate expired (CERT_HAS_EXPIRED)");
  // node:http's words for https to a plain port.
  expect(whyUnreachable(coded("ERR_SSL_WRONG_VERSION_NUMBER"))).toBe(
    "TLS handshake failed (ERR_SSL_WRONG_VERSION_NUMBER)",
  );
  expect(whyUnreachable(coded("EWHATEVER"))).toBe("connection failed (EWHATEVER)");
  // Not a code's shape (a host, a sentence), or none: nothing quoted.
  for (const code of ["internal.example:443", "a b", 42, undefined])
    expect(whyUnreachable(coded(code))).toBeUndefined();
  expect(whyUnreachable("ECONNREFUSED")).toBeUndefined();
  expect(unreachable("up", new Error("x")).message).toBe("could not reach upstream up");
});
