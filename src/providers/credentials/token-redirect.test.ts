import { afterAll, expect, test } from "bun:test";
import type { GatewayError } from "../../core/gateway-error.ts";
import { redirectingUpstream } from "../../testing/redirecting-upstream.ts";
import { fetchOAuthToken } from "./fetch-token.ts";

// A token request carries the client secret or a signed assertion in its body: a 307 or 308 would
// send that body on to wherever the Location points. No credential request follows a redirect
// (docs/SECURITY.md); the credentials' failure says where it led, in the upstream calls' words.

const endpoint = redirectingUpstream(307);
const permanent = redirectingUpstream(308);
afterAll(() => {
  endpoint.stop();
  permanent.stop();
});

test.each([
  ["307", endpoint],
  ["308", permanent],
])(
  "a token endpoint answering %s: not followed, the client secret sent nowhere else",
  async (status, upstream) => {
    const failure = (await fetchOAuthToken("az", `${upstream.base}/oauth2/v2.0/token`, {
      grant_type: "client_credentials",
      client_secret: "entra-SECRET",
    }).catch((error: unknown) => error)) as GatewayError;
    expect([failure.status, failure.message]).toEqual([
      502,
      `could not get credentials for upstream az: the token endpoint answered ${status}, a redirect to ${upstream.leadsTo}, which the gateway does not follow`,
    ]);
    expect(upstream.reached).toEqual([]);
  },
);
