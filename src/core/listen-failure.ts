import { messageOf } from "./describe-error.ts";

/**
 * Why a listener could not bind, naming the address: Bun says "Failed to start server. Is port N
 * in use?" (or a RangeError) and names no setting; the caller puts the setting's name before it.
 */
export function listenFailure(address: string, error: unknown): string {
  const inUse =
    error instanceof Error &&
    /EADDRINUSE|in use/i.test(`${error.message} ${"code" in error ? error.code : ""}`);
  return inUse
    ? `cannot listen on ${address}: the address is already in use`
    : `cannot listen on ${address}: ${messageOf(error)}`;
}
