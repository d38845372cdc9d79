export type ServerLike = { requestIP(request: Request): { address: string } | null } | null | undefined;

/**
 * The peer address of a request, as the socket saw it (null when unknown): the bare string, not an
 * object around it, so a request makes nothing for it beyond Bun's own answer.
 */
export const clientIpOf = (server: ServerLike, request: Request): string | null =>
  server?.requestIP(request)?.address ?? null;
