import { createHash } from "node:crypto";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

/** Who the issuer signs in next (it approves at once: there is no login form to fill). */
export interface IssuerUser {
  sub: string;
  email: string;
  groups: string[];
  /**
   * Claims of the ID token to set or replace (`email_verified`, `aud`, `azp`, `preferred_username`,
   * `iat`, `exp`); `null` leaves one out. Without them the token says `email_verified: true`, for
   * this client alone, issued now for five minutes.
   */
  claims?: Record<string, unknown>;
}

interface Grant {
  user: IssuerUser;
  clientId: string;
  redirectUri: string;
  nonce: string;
  challenge: string;
}

export interface OidcIssuer {
  readonly url: string;
  /** The account the next authorization approves. */
  user: IssuerUser;
  /** Token requests it refused, with why (a wrong PKCE verifier, a bad client secret…). */
  readonly refusals: string[];
  /**
   * What the issuer does wrong next, until set back: its token endpoint or JWKS answers this status
   * (a 503 outage), and its authorization endpoint sends the browser back with this OAuth `error`
   * (`access_denied`: the user declined) instead of a code; `tokenRedirect`: its token endpoint
   * answers a 307 to this URL (a misconfigured proxy in front of it); `discoveryRedirect` and
   * `jwksRedirect`: its discovery document or its JWKS answers a 302 to this URL.
   */
  failing: {
    token?: number;
    jwks?: number;
    authorize?: string;
    tokenRedirect?: string;
    discoveryRedirect?: string;
    jwksRedirect?: string;
  };
  /**
   * Fields of its discovery document to replace (an endpoint elsewhere, the signing algorithms
   * it lists), until set back to `{}`.
   */
  discovery: Record<string, string | string[]>;
  /**
   * Signs the ID tokens from now on with a new key, which its JWKS publishes beside the others
   * (a rotation), or with `published: false` does not (a key the provider never vouched for).
   */
  rotateKey(options?: { published: boolean }): Promise<void>;
  stop(): void;
}

/**
 * A small OpenID Connect provider on loopback for the browser tests: discovery, an authorization
 * endpoint that approves `user` and redirects back with a code, a token endpoint that checks the
 * client secret (Basic) and the PKCE verifier (S256) and returns an RS256 ID token, and its JWKS.
 */
export async function startOidcIssuer(client: { id: string; secret: string }): Promise<OidcIssuer> {
  /** The key ID tokens are signed with, and the public keys the JWKS publishes. */
  let signing = await signingKey("test-key");
  const published = [signing.jwk];
  const grants = new Map<string, Grant>();
  const refusals: string[] = [];
  let issuerUrl = "";
  const state: { user: IssuerUser; failing: OidcIssuer["failing"]; discovery: OidcIssuer["discovery"] } = {
    user: { sub: "u-1", email: "ops@example.com", groups: ["platform"] },
    failing: {},
    discovery: {},
  };
  const outage = (status: number) =>
    Response.json(
      { error: "temporarily_unavailable", error_description: "down for maintenance" },
      { status },
    );
  const found = (location: string) => new Response(null, { status: 302, headers: { location } });
  /** `said`: the refusal's words to the client, where they differ from `why` (quoting its code). */
  const refuse = (why: string, said = why) => {
    refusals.push(why);
    return Response.json({ error: "invalid_grant", error_description: said }, { status: 400 });
  };

  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/.well-known/openid-configuration") {
        if (state.failing.discoveryRedirect) return found(state.failing.discoveryRedirect);
        return Response.json({
          issuer: issuerUrl,
          authorization_endpoint: `${issuerUrl}/authorize`,
          token_endpoint: `${issuerUrl}/token`,
          jwks_uri: `${issuerUrl}/jwks`,
          response_types_supported: ["code"],
          token_endpoint_auth_methods_supported: ["client_secret_basic"],
          code_challenge_methods_supported: ["S256"],
          ...state.discovery,
        });
      }
      if (url.pathname === "/jwks") {
        if (state.failing.jwks) return outage(state.failing.jwks);
        if (state.failing.jwksRedirect) return found(state.failing.jwksRedirect);
        return Response.json({ keys: published });
      }
      if (url.pathname === "/authorize") {
        const q = url.searchParams;
        if (q.get("client_id") !== client.id || q.get("code_challenge_method") !== "S256") {
          return new Response("bad authorization request", { status: 400 });
        }
        if (state.failing.authorize) {
          const back = new URL(q.get("redirect_uri") ?? "");
          back.searchParams.set("error", state.failing.authorize);
          back.searchParams.set("error_description", "The user declined");
          back.searchParams.set("state", q.get("state") ?? "");
          return new Response(null, { status: 302, headers: { location: back.toString() } });
        }
        const code = crypto.randomUUID();
        grants.set(code, {
          user: state.user,
          clientId: client.id,
          redirectUri: q.get("redirect_uri") ?? "",
          nonce: q.get("nonce") ?? "",
          challenge: q.get("code_challenge") ?? "",
        });
        const back = new URL(q.get("redirect_uri") ?? "");
        back.searchParams.set("code", code);
        back.searchParams.set("state", q.get("state") ?? "");
        return new Response(null, { status: 302, headers: { location: back.toString() } });
      }
      if (url.pathname === "/token" && request.method === "POST") {
        if (state.failing.token) return outage(state.failing.token);
        if (state.failing.tokenRedirect) {
          return new Response(null, { status: 307, headers: { location: state.failing.tokenRedirect } });
        }
        const form = new URLSearchParams(await request.text());
        const basic = `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString("base64")}`;
        if (request.headers.get("authorization") !== basic) {
          refusals.push("client authentication failed");
          // RFC 6749 5.2: a client that fails to authenticate is 401 invalid_client.
          return Response.json(
            { error: "invalid_client", error_description: "client authentication failed" },
            { status: 401 },
          );
        }
        const grant = grants.get(form.get("code") ?? "");
        grants.delete(form.get("code") ?? "");
        if (!grant) return refuse("unknown or used code", `code ${form.get("code")} is unknown or used`);
        if (form.get("redirect_uri") !== grant.redirectUri) return refuse("redirect_uri differs");
        const verifier = form.get("code_verifier") ?? "";
        if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
          return refuse("PKCE verifier does not match");
        }
        const now = Math.floor(Date.now() / 1000);
        const claims: Record<string, unknown> = {
          iss: issuerUrl,
          sub: grant.user.sub,
          iat: now,
          exp: now + 300,
          nonce: grant.nonce,
          email: grant.user.email,
          email_verified: true,
          groups: grant.user.groups,
          aud: grant.clientId,
          ...grant.user.claims,
        };
        for (const [name, value] of Object.entries(claims)) if (value === null) delete claims[name];
        const idToken = await new SignJWT(claims)
          .setProtectedHeader({ alg: "RS256", kid: signing.jwk.kid })
          .sign(signing.privateKey);
        return Response.json({
          access_token: "unused",
          token_type: "Bearer",
          id_token: idToken,
          expires_in: 300,
        });
      }
      return new Response("not found", { status: 404 });
    },
  });
  issuerUrl = `http://127.0.0.1:${server.port}`;
  return {
    url: issuerUrl,
    get user() {
      return state.user;
    },
    set user(next) {
      state.user = next;
    },
    refusals,
    get failing() {
      return state.failing;
    },
    set failing(next) {
      state.failing = next;
    },
    get discovery() {
      return state.discovery;
    },
    set discovery(next) {
      state.discovery = next;
    },
    async rotateKey(options = { published: true }) {
      signing = await signingKey(`key-${crypto.randomUUID()}`);
      if (options.published) published.push(signing.jwk);
    },
    stop: () => server.stop(true),
  };
}

/** An RS256 key pair, the public half as the JWKS publishes it under `kid`. */
async function signingKey(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** The admin console's client as the e2e gateways register it at their issuer. */
export const ADMIN_CLIENT = { id: "mindgw-admin", secret: "issuer-test-secret" };

/**
 * `admin_ui.oidc` of a gateway at `gatewayUrl` that signs its admins in at `issuer` as
 * `ADMIN_CLIENT`, admitting the `platform` group.
 */
export const adminOidc = (issuer: OidcIssuer, gatewayUrl: string) => ({
  issuer: issuer.url,
  client_id: ADMIN_CLIENT.id,
  client_secret: ADMIN_CLIENT.secret,
  redirect_url: `${gatewayUrl}/admin/auth/callback`,
  allowed_groups: ["platform"],
});
