import { GatewayError, toGatewayError } from "../../core/gateway-error.ts";
import type { WorkerIdentity } from "../gateway/admit-worker.ts";
import type { WorkerGuard } from "../gateway/worker-endpoint.ts";

/**
 * The front door's guard as the worker endpoint sees it, for a test gateway without a front door:
 * the bearer token names the caller in `keys`; a refusal is answered with its status and an
 * OpenAI-shaped error body, each upgrade with an id of its own.
 */
export function testGuard(keys: Readonly<Record<string, WorkerIdentity>>): WorkerGuard {
  let upgrades = 0;
  return async (request, _server, { screen, admit }) => {
    const requestId = `upgrade-${++upgrades}`;
    const token = /^Bearer\s+(\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    try {
      screen();
      const identity = token === undefined ? undefined : keys[token];
      if (!identity)
        throw new GatewayError({
          status: 401,
          code: "unauthorized",
          message: "invalid or missing credentials",
        });
      admit(identity);
      return { identity, requestId };
    } catch (error) {
      const { status, code, message } = toGatewayError(error);
      return Response.json({ error: { message, code } }, { status, headers: { "x-request-id": requestId } });
    }
  };
}
