import type { AuditRecord } from "../audit/audit-record.ts";
import type { Config } from "../config/config-schema.ts";
import { createGateway, type Gateway } from "../gateway/create-gateway.ts";
import type { GatewayOptions } from "../gateway/gateway-options.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { waitForValue } from "./wait-for.ts";

/** A gateway under test, the bootstrap admin key it made, and each finished request's record. */
export interface RecordingGateway {
  readonly gateway: Gateway;
  readonly adminKey: string;
  /** Every `request.finished` record, in the order the requests ended. */
  readonly finished: AuditRecord[];
}

/**
 * A gateway on `config` that keeps its bootstrap key and its finished records for assertions,
 * quiet unless given a `logger`; `plugins`, an embedder's own authenticator, policy, providers or
 * store.
 */
export async function recordingGateway(
  config: Config,
  logger: Logger = silentLogger,
  plugins: Pick<GatewayOptions, "auth" | "policy" | "providers" | "storage"> = {},
): Promise<RecordingGateway> {
  let adminKey = "";
  const finished: AuditRecord[] = [];
  const gateway = await createGateway({
    config,
    logger,
    ...plugins,
    onBootstrapKey: (key) => {
      adminKey = key;
    },
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  return { gateway, adminKey, finished };
}

/** The finished record of the request `response` answered (by its `x-request-id`), waited for. */
export function recordOf(finished: readonly AuditRecord[], response: Response): Promise<AuditRecord> {
  const id = response.headers.get("x-request-id") ?? "";
  return waitForValue(`the audit row of ${id}`, () => finished.find((record) => record.requestId === id));
}

/**
 * A `method` call of `path` on the in-process gateway by the caller whose bearer token is `key`,
 * `body` (when given) sent as JSON.
 */
export function callAs(
  gateway: Gateway,
  key: string,
  method: string,
  path: string,
  body?: object,
): Promise<Response> {
  return gateway.handle(
    new Request(`http://localhost${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    }),
  );
}
