import { Elysia } from "elysia";
import type { SignInError } from "../../admin-ui/pages/sign-in-errors.ts";
import type { Principal } from "../../auth/principal.ts";
import { notFound } from "../../core/gateway-error.ts";
import { withoutSecrets } from "../../core/without-secrets.ts";
import type { AdminContext } from "../admin/admin-guards.ts";
import { clientIpOf } from "../client-of.ts";
import type { UnauthenticatedCall } from "../front-door.ts";
import type { AdminUiDeps, OpenSession, WhileEnabled } from "./admin-ui-routes.ts";
import { heldSession } from "./held-session.ts";
import { displayName, type OidcIdentity } from "./oidc-allow-list.ts";
import { type OidcClient, OidcError } from "./oidc-client.ts";
import { reasonOf } from "./oidc-error.ts";
import { browserOnHttps, cookieValue, setCookie } from "./session-cookie.ts";

const OIDC_COOKIE = "mindgw_oidc";
const OIDC_COOKIE_PATH = "/admin/auth";
const PENDING_TTL_MS = 10 * 60_000;
/** The shortest callback code taken for a provider's (theirs are tens of random characters). */
const MIN_CODE_LENGTH = 8;

/** A redirect with the request's own headers (its id) and these cookies set. */
function redirect(headers: Record<string, string>, location: string, ...cookies: string[]): Response {
  const answer = new Headers({ ...headers, location });
  for (const cookie of cookies) answer.append("set-cookie", cookie);
  return new Response(null, { status: 302, headers: answer });
}

/** The most of a provider's error text the log takes from the callback's query. */
const PROVIDER_TEXT_MAX = 200;

/**
 * A provider's error text from the callback's query as the log takes it: redacted as every logged
 * error is (before the cut, so no credential is cut to a part the redaction no longer knows), then
 * cut short.
 */
const clipped = (said: string) => {
  const text = withoutSecrets(said);
  return text.length <= PROVIDER_TEXT_MAX
    ? text
    : `${text.slice(0, PROVIDER_TEXT_MAX)}… (${text.length} characters)`;
};

/** Back to the sign-in page with a code it shows its own message for (the reason is in the log). */
const backToSignIn = (headers: Record<string, string>, error: SignInError, ...cookies: string[]) =>
  redirect(headers, `/admin/?error=${error}`, ...cookies);

/**
 * Counts a step of `clientIp`'s (sign-in-limit.ts); past the bound, before the provider is asked
 * anything, a 429 with `Retry-After`, or for a browser's navigation (the sign-in page's link, the
 * provider's redirect back), where a 429's body would be a page of JSON, the way back to the
 * sign-in page saying when to try again (`sso_rate_limited`, `retry_after` seconds).
 */
function counted(
  deps: AdminUiDeps,
  request: Request,
  clientIp: string | null,
  headers: Record<string, string>,
): Response | undefined {
  const wait = deps.signInLimit.take(clientIp);
  if (wait === undefined) return undefined;
  if (request.headers.get("sec-fetch-mode") !== "navigate") throw deps.signInLimit.refusal(wait, clientIp);
  const retryAfter = String(wait);
  return redirect(
    { ...headers, "retry-after": retryAfter },
    `/admin/?error=sso_rate_limited&retry_after=${retryAfter}`,
  );
}

/** What a step of single sign-on is handed: its request, its client's address, its call, the provider. */
interface SsoStep {
  readonly request: Request;
  readonly clientIp: string | null;
  readonly call: UnauthenticatedCall;
  readonly oidc: OidcClient;
}

/**
 * A step of single sign-on through the front door: not there while the web UI is off, a 404 where
 * single sign-on is not configured, and counted against its client's bound (`counted`) before
 * `step` asks the provider anything or opens a cookie: a flood of steps costs the provider nothing
 * past it.
 */
function ssoStep(deps: AdminUiDeps, whileEnabled: WhileEnabled, step: (sso: SsoStep) => Promise<Response>) {
  return whileEnabled(({ request, server }: AdminContext) => {
    const clientIp = clientIpOf(server, request);
    return deps.guardUnauthenticated(request, clientIp, "admin", "openai", async (call) => {
      const oidc = deps.oidc();
      if (!oidc) throw notFound("single sign-on is not configured (admin_ui.oidc)");
      return counted(deps, request, clientIp, call.headers) ?? step({ request, clientIp, call, oidc });
    });
  });
}

/**
 * Single sign-on's two steps: the redirect to the provider, and its callback. Neither carries a
 * credential, but each goes through the front door as any request does (front door `admin`: an
 * audit row, an access line, `x-request-id`), and every way a sign-in fails is logged with the
 * request's id: `sso_unavailable` when the provider failed, `sso_refused` when it or the gateway
 * refused the user, `sso_expired` when this browser had no such sign-in pending. Both count in
 * one bound per client address (sign-in-limit.ts): a 429 with `Retry-After` past it, or for a
 * browser's navigation the way back to the sign-in page saying when to try again.
 */
export function ssoRoutes(deps: AdminUiDeps, open: OpenSession, whileEnabled: WhileEnabled) {
  return new Elysia()
    .get(
      "/admin/auth/oidc",
      ssoStep(deps, whileEnabled, async ({ request, call, oidc }) => {
        try {
          const started = await oidc.start();
          // The session this browser holds, read here: its Strict cookie comes with this same-site
          // navigation but not with the provider's redirect to the callback, which ends it.
          const [endsSession] = heldSession(request);
          const pending = endsSession === undefined ? started.pending : { ...started.pending, endsSession };
          // Lax, not Strict: it must come back on the provider's cross-site redirect to the callback.
          const sealed = await deps.loginSeal.seal(pending, PENDING_TTL_MS);
          const cookie = setCookie(OIDC_COOKIE, sealed, {
            path: OIDC_COOKIE_PATH,
            maxAgeSec: PENDING_TTL_MS / 1000,
            secure: browserOnHttps(request, deps.config()),
            sameSite: "Lax",
          });
          return redirect(call.headers, started.url, cookie);
        } catch (error) {
          deps.logger.warn(`single sign-on could not start: ${withoutSecrets(reasonOf(error))}`, {
            request_id: call.ledger.requestId,
          });
          return backToSignIn(call.headers, "sso_unavailable");
        }
      }),
    )
    .get(
      "/admin/auth/callback",
      ssoStep(deps, whileEnabled, async ({ request, clientIp, call, oidc }) => {
        const requestId = call.ledger.requestId;
        // The provider sent the browser here at `redirect_url`: when that is https, so is the
        // browser, whether or not a proxy that terminated TLS said so.
        const secure = browserOnHttps(request, deps.config());
        const clear = setCookie(OIDC_COOKIE, "", {
          path: OIDC_COOKIE_PATH,
          maxAgeSec: 0,
          secure,
          sameSite: "Lax",
        });
        const back = (error: SignInError, why: string, level: "info" | "warn") => {
          deps.logger[level](`single sign-on ${why}`, { request_id: requestId });
          return backToSignIn(call.headers, error, clear);
        };
        const query = new URL(request.url).searchParams;
        const state = query.get("state");
        const sealed = cookieValue(request.headers.get("cookie"), OIDC_COOKIE);
        const login = sealed ? await deps.loginSeal.open(sealed) : undefined;
        if (!state || !login || login.state !== state) {
          const why = !login ? "no sign-in pending in this browser (no or expired cookie)" : "state mismatch";
          return back("sso_expired", `callback refused: ${why}`, "info");
        }
        // The provider's own refusal (RFC 6749 4.1.2.1), for the sign-in this browser started.
        // Its words come in the query, which anyone holding the browser can write: redacted, cut
        // short, and at info, as any refusal a user can cause.
        const refused = query.get("error");
        if (refused !== null) {
          const description = query.get("error_description");
          const said = `${clipped(refused)}${description !== null ? ` (${clipped(description)})` : ""}`;
          const declined = refused === "access_denied";
          return back(
            declined ? "sso_refused" : "sso_unavailable",
            `refused by the provider: ${said}`,
            "info",
          );
        }
        const code = query.get("code");
        if (!code) return back("sso_expired", "callback refused: no code", "info");
        let user: OidcIdentity;
        try {
          user = await oidc.finish(code, login);
        } catch (error) {
          const unavailable = error instanceof OidcError && error.kind === "unavailable";
          // A provider may quote the code it refuses, in any words: this one is never logged. One
          // too short to be a provider's (the caller writes the query: `code=e`) is no secret,
          // and cut out it would cut every such letter from the words.
          const said = withoutSecrets(reasonOf(error));
          const reason = code.length >= MIN_CODE_LENGTH ? said.replaceAll(code, "[redacted]") : said;
          return unavailable
            ? back("sso_unavailable", `unavailable: ${reason}`, "warn")
            : back("sso_refused", `refused: ${reason}`, "warn");
        }
        const principal: Principal = {
          keyId: null,
          name: displayName(user),
          tenant: "default",
          role: "admin",
          models: ["*"],
          limits: {},
          via: "session",
        };
        // Known before the session is stored: a storage failure (the guard's 500) names who it was.
        call.known(principal);
        const { cookie, session } = await open(
          secure,
          principal,
          "oidc",
          { sso: user },
          { clientIp, requestId, detail: `single sign-on (subject ${user.subject})` },
          // The session held when the sign-in started, and any the callback's own cookie names (a
          // provider on the same site as the gateway: the Strict cookie comes with its redirect).
          [...(login.endsSession === undefined ? [] : [login.endsSession]), ...heldSession(request)],
        );
        call.known(session.principal);
        return redirect(call.headers, "/admin/", clear, cookie);
      }),
    );
}
