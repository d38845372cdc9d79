import { expect, test } from "bun:test";
import { networkErrorWords } from "./network-error-words.ts";

// What `mindgw tail` and the admin commands say when the gateway could not be reached. A bare code
// (`EPROTO`, `ENOTFOUND`, `DEPTH_ZERO_SELF_SIGNED_CERT`) told an operator nothing they could act
// on; the words are the ones an upstream's and a worker's failures use (core/why-unreachable.ts).

const failed = (code: string) => Object.assign(new Error("Failed to connect"), { code });

test("a failed connection is said in words, its code after them; a refused or closed one as before", () => {
  expect(networkErrorWords(failed("ECONNREFUSED"))).toBe("connection refused");
  expect(networkErrorWords(failed("ConnectionClosed"))).toBe("connection closed");
  expect(networkErrorWords(failed("EPROTO"))).toBe("TLS handshake failed (EPROTO)");
  expect(networkErrorWords(failed("ENOTFOUND"))).toBe("DNS lookup failed (ENOTFOUND)");
  expect(networkErrorWords(failed("DEPTH_ZERO_SELF_SIGNED_CERT"))).toBe(
    "TLS certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT)",
  );
  expect(networkErrorWords(new Error("socket hang up"))).toBe("socket hang up");
});
