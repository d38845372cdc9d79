import type { KeyPosition } from "./storage.ts";

/** Which keys a listing reads, as both SQL stores filter them. */
export interface KeyListing {
  tenant?: string;
  name?: string;
  /** Leave out revoked keys (`list` without `includeRevoked`). */
  withoutRevoked?: boolean;
  /** Only keys active at this time (epoch ms): neither revoked nor expired (`page`). */
  activeAt?: number;
  /** Only keys after this one, newest first (`page`'s keyset). */
  after?: KeyPosition | null;
}

/**
 * The WHERE clause of a key listing and its parameters, in order, for SQLite (`?`) and PostgreSQL
 * (`$n`) alike: the filters are pushed into the read, so the indexes on `tenant`, `name` and
 * `(created_at, id)` bound it, and the table is never read whole to keep a few rows.
 */
export function keyListingWhere(
  listing: KeyListing,
  placeholder: (n: number) => string,
): { where: string; params: (string | number)[] } {
  const params: (string | number)[] = [];
  const p = (value: string | number) => {
    params.push(value);
    return placeholder(params.length);
  };
  const conditions: string[] = [];
  if (listing.tenant !== undefined) conditions.push(`tenant = ${p(listing.tenant)}`);
  if (listing.name !== undefined) conditions.push(`name = ${p(listing.name)}`);
  if (listing.withoutRevoked || listing.activeAt !== undefined) conditions.push("revoked_at IS NULL");
  if (listing.activeAt !== undefined)
    conditions.push(`(expires_at IS NULL OR expires_at > ${p(listing.activeAt)})`);
  if (listing.after)
    conditions.push(`(created_at, id) < (${p(listing.after.createdAt)}, ${p(listing.after.id)})`);
  return { where: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}
