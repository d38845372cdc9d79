import { messageOf } from "./describe-error.ts";

/** Why a listener could not bind, as what a caller does about it: another port, another host, or neither. */
export interface ListenFailure {
  readonly words: string;
  /** The port is held by another process: a runtime state, not a setting to fix. */
  readonly inUse: boolean;
  /** The host is no address of this machine: a setting to fix (a usage or config error). */
  readonly badHost: boolean;
}

/**
 * The system's codes for a host no listener can bind on this machine: an address that is none
 * (256.1.1.1: EINVAL), one of another machine (EADDRNOTAVAIL), a family the host lacks
 * (EAFNOSUPPORT), a name that does not resolve (ENOTFOUND, EAI_…).
 */
const BAD_HOST = /\b(EINVAL|EADDRNOTAVAIL|EAFNOSUPPORT|ENOTFOUND|EAI_[A-Z]+)\b/;

/**
 * Why a listener could not bind, naming the address: Bun says "Failed to start server. Is port N
 * in use?" (or a RangeError, or "EINVAL: invalid argument, listen") and names no setting; the
 * caller puts the setting's name before or after it.
 */
export function listenFailure(address: string, error: unknown): ListenFailure {
  const said = `${messageOf(error)} ${error instanceof Error && "code" in error ? String(error.code) : ""}`;
  if (/EADDRINUSE|in use/i.test(said))
    return {
      words: `cannot listen on ${address}: the address is already in use`,
      inUse: true,
      badHost: false,
    };
  const badHost = BAD_HOST.exec(said)?.[1];
  if (badHost !== undefined)
    return {
      words: `cannot listen on ${address}: no address of this machine (${badHost})`,
      inUse: false,
      badHost: true,
    };
  return { words: `cannot listen on ${address}: ${messageOf(error)}`, inUse: false, badHost: false };
}

/**
 * A listener of a setting's own (`metrics.listen`) that could not bind, as thrown where it opens.
 * With `failure.badHost` the setting is at fault (the CLI's exit 2, as for `server.host`), and
 * the message says what to give it.
 */
export class SettingListenError extends Error {
  constructor(
    readonly setting: string,
    readonly failure: ListenFailure,
    hint: string,
  ) {
    super(`${setting}: ${failure.words}${failure.badHost ? `: ${hint}` : ""}`);
    this.name = "SettingListenError";
  }
}
