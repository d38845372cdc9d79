/**
 * Elysia reads a request's path from the first "/" at or after index 11 of its URL, past
 * "https://" and a three-letter host: with a shorter host (`http://gw/v1/...`, what a proxy's
 * `proxy_pass http://gw;` sends) it would take the path's first segment for part of the host and
 * route the rest (`/v1/admin/api/keys` as `/admin/api/keys`).
 */
const PATH_FOUND_FROM = 11;

/**
 * `request` as Elysia routes it by its own path: the request itself, or, when its host is too short
 * for that, the same request made anew on `localhost`, keeping its method, headers, body and signal.
 * No part of the gateway reads the host of the URL (the `Host` header is the request's own).
 */
export function routableRequest(request: Request): Request {
  const url = request.url;
  const pathAt = url.indexOf("/", url.indexOf("//") + 2);
  return pathAt !== -1 && pathAt < PATH_FOUND_FROM
    ? new Request(`${url.slice(0, url.indexOf("//"))}//localhost${url.slice(pathAt)}`, request)
    : request;
}
