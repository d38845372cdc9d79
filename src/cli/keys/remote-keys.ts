import { z } from "zod";
import type { IssuedKey, RevokedKeys } from "../../auth/key-admin.ts";
import { type KeyView, keyViewSchema } from "../../auth/key-view.ts";
import { keysetPages } from "../../core/keyset-pages.ts";
import { cursorOf, type KeyPage } from "../../http/admin/key-page.ts";
import { adminFetch } from "../admin-fetch.ts";
import { answeredShape } from "../answered-shape.ts";
import { UsageError } from "../exit-code.ts";
import { gatewayTenantNames } from "../gateway-tenant-names.ts";
import { type KeysBackend, LIST_PAGE } from "./keys-backend.ts";

/**
 * A key as every gateway's answer holds it (answered-shape.ts): each field `keys list` prints,
 * which every release has answered (a later one added `chain`, left out by earlier ones). One
 * left out is no gateway's answer, said so, where the table ended on a script error.
 */
const answeredKey = () =>
  answeredShape(keyViewSchema(), [
    "id",
    "name",
    "role",
    "tenant",
    "models",
    "key_preview",
    "status",
    "created_at",
  ]);

/** A new key's answer (create, rotate): the key as above and its plain key. */
const issuedKey = () => answeredKey().extend({ key: z.string() });

/** A rotation's answer: the new key and the one it replaces, which every release has answered. */
const rotatedKey = () => issuedKey().extend({ previous: answeredKey() });

/** Keys managed through a running gateway's `/admin/api/keys`, with an admin key. */
export function remoteKeys(gateway: string, adminKey: string): KeysBackend {
  const call = <T>(method: string, path: string, holds: string, shape: z.ZodType, body?: unknown) =>
    adminFetch<T>(gateway, adminKey, { path: `/admin/api/keys${path}`, method, body, holds, shape });
  const id = (idOrName: string) => {
    // A URL reads `.` and `..` as dot segments (`%2E` too): /admin/api/keys/. is the key list.
    if (idOrName === "." || idOrName === "..")
      throw new UsageError(
        `a key named ${idOrName} cannot be named in a URL: give its id (mindgw keys list), or its name with -c`,
      );
    return `/${encodeURIComponent(idOrName)}`;
  };
  /** `--tenant` as the query naming the tenant a name's key is meant in, when one is. */
  const tenantQuery = (tenant: string | undefined) =>
    tenant === undefined ? "" : `?${new URLSearchParams({ tenant })}`;
  return {
    create: (input) => call<IssuedKey>("POST", "", "key", issuedKey(), input),
    listPages: (includeRevoked, tenant) =>
      keysetPages(
        async (cursor: string | null) => {
          const query = new URLSearchParams({
            ...(includeRevoked ? { include_revoked: "true" } : {}),
            ...(tenant ? { tenant } : {}),
            limit: String(LIST_PAGE),
            ...(cursor === null ? {} : { cursor }),
          });
          return (await call<KeyPage>("GET", `?${query}`, "keys", z.object({ keys: z.array(answeredKey()) })))
            .keys;
        },
        cursorOf,
        LIST_PAGE,
      ),
    show: (idOrName, tenant) =>
      call<KeyView>("GET", `${id(idOrName)}${tenantQuery(tenant)}`, "id", answeredKey()),
    async revoke(idOrName, tenant) {
      // A gateway of an earlier release answers the one key it revoked, without `revoked`.
      const answer = await call<KeyView & Partial<RevokedKeys>>(
        "POST",
        `${id(idOrName)}/revoke${tenantQuery(tenant)}`,
        "id",
        answeredKey().extend({ revoked: z.array(answeredKey()).optional() }),
      );
      return { ...answer, revoked: answer.revoked ?? [answer] };
    },
    rotate: (idOrName, input, tenant) =>
      call<IssuedKey & { previous: KeyView }>(
        "POST",
        `${id(idOrName)}/rotate${tenantQuery(tenant)}`,
        "key",
        rotatedKey(),
        input,
      ),
    setLimits: (idOrName, input, tenant) =>
      call<KeyView>("POST", `${id(idOrName)}/limits${tenantQuery(tenant)}`, "id", answeredKey(), input),
    tenantNames: () => gatewayTenantNames(gateway, adminKey),
    close: async () => {},
  };
}
