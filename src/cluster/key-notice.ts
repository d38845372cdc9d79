import { RedisClient } from "bun";
import type { Config } from "../config/config-schema.ts";
import { messageOf } from "../core/describe-error.ts";
import { timerDelay } from "../core/timer-delay.ts";

/** The channel every node listens on for key changes (revoke, rotate, create): its cache refreshes. */
export const KEY_CHANNEL = "mgw:keys";

/**
 * A key change as published: the key's id, stamped with the cluster's (cluster-claim.ts). A
 * node of the release before stamps reads any message as a change, whatever it says.
 */
export const keyNotice = (clusterId: string | undefined, keyId: string): string =>
  JSON.stringify({ ...(clusterId === undefined ? {} : { cluster: clusterId }), key: keyId });

/**
 * Announces key changes made outside a running node (`mindgw keys … -c` on a cluster config):
 * one connection, one PUBLISH per key, closed again. Resolves with the reason when Redis could not
 * be told; the nodes then see the change at their key cache's next refresh (2 s).
 */
export async function announceKeyChanges(
  settings: NonNullable<Config["cluster"]>,
  /** The cluster's id, from the storage its nodes share (`Storage.clusterId`); none: the notices go unstamped. */
  clusterId: string | undefined,
  ids: readonly string[],
): Promise<string | null> {
  if (ids.length === 0) return null;
  // Within what a timer holds (a 30-day redis_timeout fired after 1 ms; Bun's client refuses a
  // connectionTimeout past 2^32 - 1 ms with a RangeError).
  const withinMs = timerDelay(settings.redis_timeout);
  const client = new RedisClient(settings.redis_url, {
    autoReconnect: false,
    enableOfflineQueue: false,
    connectionTimeout: withinMs,
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.connect();
        for (const id of ids) await client.publish(KEY_CHANNEL, keyNotice(clusterId, id));
      })(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${withinMs} ms`)), withinMs);
      }),
    ]);
    return null;
  } catch (error) {
    return messageOf(error);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
