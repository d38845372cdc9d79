import { type AdminUiConfig, OIDC_CALLBACK_PATH } from "../../config/admin-ui-config.ts";

/** The session cookie: its id only; scoped to `/admin`, never readable by script. */
export const SESSION_COOKIE = "mindgw_session";
/** Every request authenticated by the session cookie must repeat the session's CSRF token here. */
export const CSRF_HEADER = "x-csrf-token";
/**
 * The page sends this on a call it makes after a keystroke or click in it (a user's use), never on
 * its own polling: only such a call keeps the session from `admin_ui.session_idle_timeout`.
 */
export const ACTIVITY_HEADER = "x-user-activity";
/** On a 401 for a session that ended for inactivity: `idle`, so the page can say why. */
export const SESSION_ENDED_HEADER = "x-session-ended";

/** The value of one cookie from a `Cookie` header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** The first of a header's comma-separated values (the one the client-facing proxy wrote). */
const firstValue = (header: string | null) => header?.split(",")[0]?.trim().toLowerCase();

/** `proto` of the first element of an RFC 7239 `Forwarded` header (`for=…;proto=https`). */
function forwardedProto(header: string | null): string | undefined {
  for (const pair of header?.split(",")[0]?.split(";") ?? []) {
    const eq = pair.indexOf("=");
    if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === "proto") {
      return pair
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1")
        .toLowerCase();
    }
  }
  return undefined;
}

/**
 * True when the request came over TLS, directly or through a proxy that terminated it and said so
 * (`X-Forwarded-Proto`'s first value, or `proto` in RFC 7239 `Forwarded`). It only ever adds
 * `Secure`: a header that lies can make the browser drop its own cookie, never expose it.
 */
export function isSecure(request: Request): boolean {
  return (
    new URL(request.url).protocol === "https:" ||
    firstValue(request.headers.get("x-forwarded-proto")) === "https" ||
    forwardedProto(request.headers.get("forwarded")) === "https"
  );
}

/** `host` as a URL's host, so `gw.example.com:443` and `GW.example.com` compare equal to it. */
function httpsHost(host: string | undefined): string | undefined {
  if (!host) return undefined;
  try {
    return new URL(`https://${host}`).host;
  } catch {
    return undefined;
  }
}

/**
 * Whether the browser is on https, for every cookie the web UI sets: the request says so
 * (`isSecure`), or the config does, for a proxy that terminated TLS and said nothing (a bare
 * nginx `proxy_pass`). The config's one public URL of the console is `admin_ui.oidc.redirect_url`:
 * when it is https, the callback is reached on it (the provider sends the browser there), and so
 * is any page of the request's host (`Host`, or `X-Forwarded-Host`) when that is the URL's host.
 */
export function browserOnHttps(request: Request, config: AdminUiConfig): boolean {
  if (isSecure(request)) return true;
  const redirect = config.oidc?.redirect_url;
  if (redirect === undefined) return false;
  const publicUrl = new URL(redirect);
  if (publicUrl.protocol !== "https:") return false;
  const at = new URL(request.url);
  if (at.pathname === OIDC_CALLBACK_PATH) return true;
  // The `Host` header, not the url's host: a host of three letters or fewer reads as `localhost`
  // in the url once routed (routable-request.ts). The url's only for a request without one (built
  // by an embedder).
  const host = request.headers.get("host") ?? at.host;
  return [host, firstValue(request.headers.get("x-forwarded-host"))].some(
    (host) => httpsHost(host) === publicUrl.host,
  );
}

interface CookieOptions {
  path: string;
  maxAgeSec: number;
  secure: boolean;
  sameSite: "Strict" | "Lax";
}

/** A `Set-Cookie` value: always HttpOnly; `Secure` when `secure` (`browserOnHttps`). */
export function setCookie(name: string, value: string, options: CookieOptions): string {
  return [
    `${name}=${value}`,
    `Path=${options.path}`,
    `Max-Age=${Math.max(0, Math.floor(options.maxAgeSec))}`,
    "HttpOnly",
    `SameSite=${options.sameSite}`,
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}
