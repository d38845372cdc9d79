import { expect, test } from "bun:test";
import { whyUnreachable } from "./why-unreachable.ts";

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
  // A code of no connection's failure: the request was never sent (a URL the runtime would not take).
  expect(whyUnreachable(coded("ERR_INVALID_URL"))).toBe("request failed (ERR_INVALID_URL)");
  expect(whyUnreachable(coded("EWHATEVER"))).toBe("request failed (EWHATEVER)");
  // Not a code's shape (a host, a sentence), or none: nothing quoted.
  for (const code of ["internal.example:443", "a b", 42, undefined])
    expect(whyUnreachable(coded(code))).toBeUndefined();
  expect(whyUnreachable("ECONNREFUSED")).toBeUndefined();
});
