import { afterAll, beforeAll, expect } from "bun:test";
import { type OidcIssuer, startOidcIssuer } from "../../../../test/e2e/harness/oidc-issuer.ts";
import { oidcConfigSchema } from "../../../config/admin-ui-config.ts";
import { createOidcClient, type PendingLogin } from "../oidc-client.ts";

/** The client the issuer knows, and the config names. */
export const OIDC_CLIENT = { id: "mindgw", secret: "s3cret" };

/**
 * What a test file of the OIDC relying party needs: a local issuer (started before the file's tests,
 * stopped after them), a client configured for it, and a browser's walk to the code. Call once a
 * file; `issuer()` is the running issuer, whose user, discovery and failures a test sets.
 */
export function oidcTestKit() {
  let running: OidcIssuer | undefined;
  beforeAll(async () => {
    running = await startOidcIssuer(OIDC_CLIENT);
  });
  afterAll(() => running?.stop());
  const issuer = (): OidcIssuer => {
    if (running === undefined) throw new Error("the OIDC issuer is started before the file's tests");
    return running;
  };

  const clientFor = (overrides: object = {}) =>
    createOidcClient(
      oidcConfigSchema.parse({
        issuer: issuer().url,
        client_id: OIDC_CLIENT.id,
        client_secret: OIDC_CLIENT.secret,
        redirect_url: "http://127.0.0.1:9/admin/auth/callback",
        allowed_groups: ["platform"],
        ...overrides,
      }),
    );

  /** Follows the authorization URL as a browser would, up to the redirect back: returns the code. */
  async function authorize(url: string, pending: PendingLogin): Promise<string> {
    const response = await fetch(url, { redirect: "manual" });
    const back = new URL(response.headers.get("location") ?? "");
    expect(back.pathname).toBe("/admin/auth/callback");
    expect(back.searchParams.get("state")).toBe(pending.state);
    return back.searchParams.get("code") ?? "";
  }

  /** Signs `claims` in through the issuer and the client: the identity, or why it was refused. */
  async function signIn(claims: Record<string, unknown>, overrides: object = {}) {
    issuer().user = { sub: "u-9", email: "alice@example.com", groups: [], claims };
    const client = clientFor({ allowed_users: ["alice@example.com"], allowed_groups: [], ...overrides });
    const { url, pending } = await client.start();
    return client.finish(await authorize(url, pending), pending).catch((e: unknown) => String(e));
  }

  return { issuer, clientFor, authorize, signIn };
}
