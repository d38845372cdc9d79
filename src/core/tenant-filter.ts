import { z } from "zod";

/**
 * A reader's `?tenant=` (`--tenant`) as asked: empty is absent, every tenant the reader may see,
 * as a form's blank field means it. The one rule for every route and command that takes it.
 */
export const askedTenant = (value: string | undefined): string | undefined =>
  value === "" ? undefined : value;

/** The `tenant` field of an admin query: one tenant's part, empty as absent (`askedTenant`). */
export const tenantFilter = z.string().max(512).transform(askedTenant).optional();
