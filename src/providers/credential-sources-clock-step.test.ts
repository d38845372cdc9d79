/**
 * The token sources as the gateway builds them (no clock given): a cached credential's backoff after
 * its endpoint failed runs on the monotonic clock, not on a `now` defaulted to Date.now and handed
 * on (credentials/cached-credential.ts; docs/DEPLOYMENT.md, "Clocks"). Both of the process's clocks
 * are held by the test; an NTP step moves the wall one alone.
 */
import { expect, test } from "bun:test";
import { heldClocks } from "../testing/stepped-clocks.ts";
import { entraToken } from "./azure/entra-token.ts";
import type { CachedCredential } from "./credentials/cached-credential.ts";
import { authorizedUserToken } from "./google/authorized-user-token.ts";

/** A token endpoint that answers 503 until `back`, then a token for an hour. */
function tokenEndpoint() {
  const state = { back: false, asked: 0 };
  const doFetch = (async () => {
    state.asked += 1;
    if (!state.back) return Response.json({ error: "temporarily_unavailable" }, { status: 503 });
    return Response.json({ access_token: "token-1", token_type: "Bearer", expires_in: 3600 });
  }) as unknown as typeof fetch;
  return { state, doFetch };
}

const SOURCES: [string, (doFetch: typeof fetch) => CachedCredential<string>][] = [
  [
    "Entra ID",
    (doFetch) =>
      entraToken("az", { tenant_id: "contoso", client_id: "app", client_secret: "s" }, { fetch: doFetch }),
  ],
  [
    "a Google user's refresh token",
    (doFetch) =>
      authorizedUserToken(
        "vx",
        {
          type: "authorized_user",
          client_id: "c",
          client_secret: "s",
          refresh_token: "r",
          token_uri: "https://oauth2.googleapis.com/token",
        },
        { fetch: doFetch },
      ),
  ],
];

for (const [name, source] of SOURCES)
  test(`${name}: a step back of 10 minutes after its endpoint failed holds no call past the backoff's 2 s`, async () => {
    const clocks = heldClocks(Date.UTC(2025, 0, 1));
    try {
      const endpoint = tokenEndpoint();
      const credential = source(endpoint.doFetch);
      await expect(credential.get()).rejects.toThrow("503");
      clocks.step(-600_000);
      clocks.pass(2_000);
      endpoint.state.back = true;
      expect(await credential.get()).toBe("token-1");
      expect(endpoint.state.asked).toBe(2);
    } finally {
      clocks.restore();
    }
  });
