/**
 * Elysia reads a request's path from the first "/" at or after index 11 of its URL, past
 * "https://" and a three-letter host: with a shorter host (`http://gw/v1/...`, what a proxy's
 * `proxy_pass http://gw;` sends) it would take the path's first segment for part of the host and
 * route the rest (`/v1/admin/api/keys` as `/admin/api/keys`).
 */
const PATH_FOUND_FROM = 11;

/**
 * `request` as Elysia routes it by its own path: when its host is too short for that, its `url`
 * reads as on `localhost`. The very request, not a new one made from it: Bun's server upgrades
 * only the request it was handed (a WebSocket endpoint asked under `Host: gw` answered 400
 * "Expected a websocket connection"), and its client address stays readable off the server.
 * A new one only for a request that cannot take the property (frozen by an embedder). What reads
 * the request's host reads its `Host` header, not the url's (the web UI's `Secure` cookies:
 * `browserOnHttps`).
 */
export function routableRequest(request: Request): Request {
  const url = request.url;
  const pathAt = url.indexOf("/", url.indexOf("//") + 2);
  if (pathAt === -1 || pathAt >= PATH_FOUND_FROM) return request;
  const routable = `${url.slice(0, url.indexOf("//"))}//localhost${url.slice(pathAt)}`;
  return Reflect.defineProperty(request, "url", { value: routable })
    ? request
    : new Request(routable, request);
}
