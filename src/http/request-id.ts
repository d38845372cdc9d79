const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-request-id` when it is safe to echo and log, else a fresh one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given && SAFE_ID.test(given) ? given : `req_${crypto.randomUUID().replaceAll("-", "")}`;
}
