/**
 * Why a single sign-on did not finish: `unavailable` when the provider, or the gateway's way to it,
 * failed (unreachable, slow, a 5xx, its JWKS unreadable, the client's own registration refused:
 * `invalid_client`), which no other account would get past either; `refused` when the provider
 * or the gateway refused this sign-in (an ID token that does not verify, a user off the allow-list).
 */
export type OidcFailure = "unavailable" | "refused";

export class OidcError extends Error {
  override readonly name = "OidcError";
  constructor(
    message: string,
    readonly kind: OidcFailure = "refused",
  ) {
    super(message);
  }
}

/** An error's own words, for the log line. */
export const reasonOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
