import { DIALECT_HEADERS, type Dialect, NO_DIALECT_HEADERS } from "../core/dialect.ts";

/** The client's dialect headers from the allow-list (core/dialect.ts); no object made when there are none. */
export function dialectHeaders(headers: Headers, dialect: Dialect): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const name of DIALECT_HEADERS[dialect]) {
    const value = headers.get(name);
    if (value === null) continue;
    out ??= {};
    out[name] = value;
  }
  return out ?? NO_DIALECT_HEADERS;
}

/** The request's query string with its `?` (`?beta=true`), or "". */
export function queryOf(url: string): string {
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at);
}
