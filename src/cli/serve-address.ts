import { HOST_HINT } from "../config/server-config.ts";
import { decimalInt } from "../core/decimal-int.ts";
import { UsageError } from "./exit-code.ts";

/** Where `mindgw serve` listens. */
export interface ServeAddress {
  readonly host: string;
  readonly port: number;
}

/**
 * `--host` and `--port` over `server.host` and `server.port`. Each given is taken as written or
 * refused (exit 2): an empty `--host ""` listened on every interface, and an empty `--port ""`
 * (Number("") is 0) on a random port, server.port ignored. Port 0 (any free one) is written "0".
 */
export function serveAddress(options: { host?: string; port?: string }, server: ServeAddress): ServeAddress {
  if (options.host === "")
    throw new UsageError(`--host: empty: ${HOST_HINT}, or leave --host out for server.host`);
  return {
    host: options.host ?? server.host,
    port: options.port === undefined ? server.port : portOption(options.port),
  };
}

function portOption(text: string): number {
  const port = decimalInt(text);
  if (port === undefined || port > 65535)
    throw new UsageError(`--port: not a port: ${JSON.stringify(text)} (0 to 65535; 0 for any free one)`);
  return port;
}
