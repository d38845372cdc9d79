import { GatewayError } from "../core/gateway-error.ts";

/** Test support: what a refusal threw, read as the gateway's error (anything else is rethrown). */
const refusal = (error: unknown): GatewayError => {
  if (error instanceof GatewayError) return error;
  throw error;
};

/** The GatewayError `run` threw; fails the test when it threw none. */
export function gatewayErrorOf(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return refusal(error);
  }
  throw new Error("expected a GatewayError, and nothing was thrown");
}

/** The GatewayError `act` threw or rejected with; fails the test when it did neither. */
export async function rejectionOf(act: () => unknown): Promise<GatewayError> {
  try {
    await act();
  } catch (error) {
    return refusal(error);
  }
  throw new Error("expected a GatewayError, and nothing was thrown");
}

/** The GatewayError `call` rejects with; fails the test when it resolves. */
export function failureOf(call: Promise<unknown>): Promise<GatewayError> {
  return rejectionOf(() => call);
}
