import type { TrustedProxies } from "./trusted-proxies.ts";

export type ServerLike =
  | {
      requestIP(request: Request): { address: string } | null;
      /** Bun's per-request idle timeout, in seconds (a stream's: model-pipeline.ts). */
      timeout?(request: Request, seconds: number): void;
    }
  | null
  | undefined;

/** Addresses given with requests handed in without a socket of ours (`gateway.handle`). */
const givenAddresses = new WeakMap<Request, string>();

/** The proxies each listening server believes (`server.trusted_proxies`, the current version's). */
const proxiesOf = new WeakMap<object, () => TrustedProxies | undefined>();

/**
 * Says which client a request handed to the app in-process comes from: an embedder's own server
 * knows its peer (or the address its proxy vouches for), the gateway's does not.
 */
export function giveClientIp(request: Request, address: string): void {
  givenAddresses.set(request, address);
}

/**
 * Makes `server` name a request from one of `proxies` by the client its `X-Forwarded-For` names.
 * `proxies` is asked per request (a reload may change them); undefined: the peer, as it is.
 */
export function trustProxies(server: object, proxies: () => TrustedProxies | undefined): void {
  proxiesOf.set(server, proxies);
}

/**
 * The client address of a request: the one given with it (`giveClientIp`), else the peer address
 * as the socket saw it (or, from a trusted proxy, the client it forwarded for), else null. The bare
 * string, not an object around it, so a request makes nothing for it beyond Bun's own answer.
 */
export function clientIpOf(server: ServerLike, request: Request): string | null {
  const given = givenAddresses.get(request);
  if (given !== undefined) return given;
  if (!server) return null;
  const peer = server.requestIP(request)?.address;
  if (peer === undefined) return null;
  const proxies = proxiesOf.get(server)?.();
  return proxies ? proxies.clientOf(peer, request.headers.get("x-forwarded-for")) : peer;
}
