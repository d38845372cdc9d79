/**
 * `--upstream` as the base each call's path is added to (`/chat/completions`): an http:// or
 * https:// URL, its trailing slashes dropped. Anything else is refused at the start, naming what
 * was given: `localhost:8000/v1` parses as a URL of scheme `localhost:`, `127.0.0.1:8000/v1` and
 * `notaurl` not at all, and each would fail every call, forever (a worker listing its models retries them; one given
 * `--models` registers and answers every request with a 502).
 */
export function toUpstreamBase(input: string): string {
  const refused = (why: string) =>
    new Error(`--upstream: ${why}: give the model server's URL with /v1 (http://127.0.0.1:8000/v1)`);
  if (!input.includes("://")) throw refused(`${input} names no scheme (http:// or https://)`);
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw refused(`not a URL: ${input}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw refused(`an http:// or https:// URL, not ${url.protocol}//…`);
  // A call's path goes after the base: a query or fragment would end up before it.
  if (url.search !== "" || url.hash !== "") throw refused("no query string or fragment");
  return input.replace(/\/+$/, "");
}
