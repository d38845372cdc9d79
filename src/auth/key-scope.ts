import { GatewayError } from "../core/gateway-error.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import { coversGlob } from "./model-glob.ts";
import type { KeyActor } from "./roles.ts";

/** What a key may do: the part of a key that scope compares. */
export type KeyReach = Pick<KeyRecord, "models" | "rpm" | "tpm" | "budgetUsd">;

/** A limit the actor has bounds the key's: unlimited (null) or higher is wider. */
const within = (mine: number | undefined, theirs: number | null) =>
  mine === undefined || (theirs !== null && theirs <= mine);

/** Why `key` reaches further than `actor`, or undefined when it does not. */
export function widerThan(actor: KeyActor, key: KeyReach): string | undefined {
  if (actor === "local-operator") return undefined;
  const outside = key.models.filter((model) => !coversGlob(actor.models, model));
  if (outside.length > 0) return `models ${outside.join(", ")} are outside this key's own models`;
  if (!within(actor.limits.rpm, key.rpm)) return `rpm above this key's own (${actor.limits.rpm})`;
  if (!within(actor.limits.tpm, key.tpm)) return `tpm above this key's own (${actor.limits.tpm})`;
  if (!within(actor.limits.budgetUsd, key.budgetUsd))
    return `budget above this key's own (${actor.limits.budgetUsd} USD)`;
  return undefined;
}

/**
 * An admin key manages only keys within its own reach: it cannot mint or rotate a key with
 * models or limits beyond its own, nor revoke a key wider than itself (a narrow admin key must
 * not be able to lock out the unrestricted one). The local operator (store file access) is not
 * bounded.
 */
export function assertWithinScope(
  actor: KeyActor,
  key: KeyReach,
  action: "create" | "rotate" | "revoke",
): void {
  const why = widerThan(actor, key);
  if (why)
    throw new GatewayError({
      status: 403,
      code: "forbidden",
      message: `this admin key may not ${action} a key wider than itself: ${why}`,
    });
}
