import { expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { admitWorker, type WorkerIdentity } from "./admit-worker.ts";

const upgrade = new Request("http://localhost/workers/connect");
const refusal = (identity: WorkerIdentity): string | undefined => {
  try {
    admitWorker(upgrade, identity, {});
    return undefined;
  } catch (error) {
    if (error instanceof GatewayError) return `${error.status} ${error.message}`;
    throw error;
  }
};
const caller = (credential: WorkerIdentity["credential"], role: string): WorkerIdentity => ({
  role,
  credential,
  name: "n",
  tenant: "default",
  models: ["*"],
});

test("a credential refused the worker role is named as what was sent: a key, a token (JWT), a web UI session", () => {
  expect(refusal(caller("key", "user"))).toBe(
    "403 this key may not connect a worker: it needs the worker or admin role",
  );
  expect(refusal(caller("jwt", "user"))).toBe(
    "403 this token (JWT) may not connect a worker: it needs the worker or admin role",
  );
  expect(refusal(caller("session", "admin"))).toBe(
    "403 a web UI session may not connect a worker: send a worker key or token in Authorization",
  );
  expect(refusal(caller("jwt", "worker"))).toBeUndefined();
  expect(refusal(caller("key", "admin"))).toBeUndefined();
});
