import type { ClientInfo } from "./front-door.ts";

type ServerLike = { requestIP(request: Request): { address: string } | null } | null | undefined;

/** The peer address of a request, as the socket saw it. */
export const clientOf = (server: ServerLike, request: Request): ClientInfo => ({
  ip: server?.requestIP(request)?.address ?? null,
});
