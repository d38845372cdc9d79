export type ServerLike = { requestIP(request: Request): { address: string } | null } | null | undefined;

/** Addresses given with requests handed in without a socket of ours (`gateway.handle`). */
const givenAddresses = new WeakMap<Request, string>();

/**
 * Says which client a request handed to the app in-process comes from: an embedder's own server
 * knows its peer (or the address its proxy vouches for), the gateway's does not.
 */
export function giveClientIp(request: Request, address: string): void {
  givenAddresses.set(request, address);
}

/**
 * The client address of a request: the one given with it (`giveClientIp`), else the peer address
 * as the socket saw it, else null. The bare string, not an object around it, so a request makes
 * nothing for it beyond Bun's own answer.
 */
export const clientIpOf = (server: ServerLike, request: Request): string | null =>
  givenAddresses.get(request) ?? server?.requestIP(request)?.address ?? null;
