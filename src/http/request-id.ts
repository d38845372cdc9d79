const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's `x-request-id` when it is safe to echo and log, else a fresh one. Fresh ids are
 * UUIDv7 (time-ordered): the audit log indexes request ids, and ordered keys append to that
 * index instead of landing on random pages, which halved the audit batch write time measured
 * in docs/BENCHMARKS-HISTORY.md. Not a secret, so the embedded timestamp is harmless.
 */
export function requestIdOf(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given && SAFE_ID.test(given) ? given : `req_${Bun.randomUUIDv7().replaceAll("-", "")}`;
}
