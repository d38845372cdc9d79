import { DIALECT_HEADERS, type Dialect } from "../core/dialect.ts";

/** The client's dialect headers from the allow-list (core/dialect.ts). */
export function dialectHeaders(headers: Headers, dialect: Dialect): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of DIALECT_HEADERS[dialect]) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** The request's query string with its `?` (`?beta=true`), or "". */
export function queryOf(url: string): string {
  const at = url.indexOf("?");
  return at === -1 ? "" : url.slice(at);
}
