import type { Principal } from "../../auth/principal.ts";
import { GatewayError } from "../../core/gateway-error.ts";

// What the responses-context*.test.ts files share: the callers they ask as, the answers they
// store, and the GatewayError a refused call rejects with.

/** A key of `tenant`, a configured tenant unless it is `default` (then a key outside every tenant). */
export const principal = (tenant: string): Principal => ({
  keyId: `key_${tenant}`,
  name: tenant,
  tenant,
  role: "user",
  models: ["*"],
  limits: {},
  via: "key",
  ...(tenant === "default" ? {} : { tenantRules: { bound: true, models: ["*"] } }),
});

/** When the store stopped writing under free labels (`ResponseStore.labelScopesClosedAt`). */
export const CLOSED_AT = 1_000;

/**
 * A key whose tenant is a free label (no tenant of that name is configured), created before the
 * store stopped writing under labels unless `createdAt` says otherwise.
 */
export const labelled = (keyId: string, tenant: string, createdAt = 1): Principal => ({
  ...principal("default"),
  keyId,
  keyCreatedAt: createdAt,
  tenant,
});

/** An assistant message of `text`, as a Responses answer's output item. */
export const reply = (text: string) => ({
  type: "message",
  role: "assistant",
  content: [{ type: "output_text", text }],
});
/** A Responses answer `id` whose output is `text`. */
export const answer = (id: string, text: string) => ({ id, object: "response", output: [reply(text)] });

/** The `fail` callback responsesContext is given: throws what it is handed. */
export const fail = (error: unknown) => {
  throw error;
};

/** The GatewayError `promise` rejects with (anything else fails the test). */
export async function rejection(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GatewayError)) throw new Error("expected a GatewayError");
  return error;
}
