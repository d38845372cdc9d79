import { describe, expect, test } from "bun:test";
import { bearer } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { waitFor } from "./harness/wait-for.ts";

// A caller's `x-request-id` is the request's id for the echo, the access line, the audit row and
// the event stream. A key sent there (a client that put the wrong header in the wrong place) was
// echoed, logged and stored as it came, where a plain key is never logged, stored or echoed
// (docs/SECURITY.md): such an id is not taken, and the request gets an id of the gateway's own.
const f = gatewayFixture();

const models = (requestId: string) =>
  fetch(f.url("/v1/models"), { headers: { ...bearer(f.adminKey), "x-request-id": requestId } });

describe("a caller's x-request-id that holds a credential", () => {
  test("is neither echoed nor logged: the request gets a fresh id", async () => {
    const response = await models(f.adminKey);
    expect(response.status).toBe(200);
    const id = response.headers.get("x-request-id") ?? "";
    expect(id).toStartWith("req_");
    await waitFor("its access line", () => f.gw.stderr.all.includes(id));
    expect(f.gw.stderr.all).not.toContain(f.adminKey);
  });

  test("an id of no credential's shape is taken as it comes", async () => {
    const response = await models("trace-4bf92f3577b34da6");
    expect(response.headers.get("x-request-id")).toBe("trace-4bf92f3577b34da6");
  });
});
