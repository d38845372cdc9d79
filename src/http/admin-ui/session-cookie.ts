/** The session cookie: its id only; scoped to `/admin`, never readable by script. */
export const SESSION_COOKIE = "mindgw_session";
/** Every request authenticated by the session cookie must repeat the session's CSRF token here. */
export const CSRF_HEADER = "x-csrf-token";

/** The value of one cookie from a `Cookie` header, or null. */
export function cookieValue(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || null;
  }
  return null;
}

/** True when the request came over TLS, directly or through a proxy that terminated it. */
export function isSecure(request: Request): boolean {
  return new URL(request.url).protocol === "https:" || request.headers.get("x-forwarded-proto") === "https";
}

interface CookieOptions {
  path: string;
  maxAgeSec: number;
  secure: boolean;
  sameSite: "Strict" | "Lax";
}

/** A `Set-Cookie` value: always HttpOnly; `Secure` over TLS. */
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
