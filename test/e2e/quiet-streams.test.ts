import { describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { bearer, chatBody } from "./harness/fake-config.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { tailEvents } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

// A connection with nothing sent either way for `server.idle_timeout` is closed. An answer is
// often that quiet on its way: a reasoning model thinks before its first token, or between two
// parts of its answer, for longer than the idle bound, and well within the attempt's own
// `first_byte` and `idle` timeouts. Such a silence is the upstream's, bounded by those, never cut
// as if the client had left; and the admin event stream's keep-alives come within the bound.
// The upstream's pauses here are longer than the 1 s idle bound (the stimulus, not a synchronisation);
// Bun's timer ticks every 4 s, so a bound that short closes a quiet socket between 1 and 4 s.
const PAUSE_MS = 2500;
const f = gatewayFixture({
  config: { server: { idle_timeout: "1s" }, routing: { retries: 0, stream_keepalive: "0s" } },
});

const post = (text: string, stream: boolean) =>
  fetch(f.url("/v1/chat/completions"), {
    method: "POST",
    headers: bearer(f.adminKey),
    body: chatBody("fake-model", text, { stream }),
  });

describe("an answer quieter than server.idle_timeout", () => {
  test("a stream whose upstream pauses between its chunks comes whole, audited 200", async () => {
    const response = await post(`one [[fake:chunks=1,chunkDelay=${PAUSE_MS / 2}]]`, true);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain("data: [DONE]");
    expect((await auditRow(f.gw, response.headers.get("x-request-id") ?? "")).status).toBe(200);
  });

  test("a stream whose first token is slow, with no keep-alive comments, comes whole", async () => {
    const response = await post(`one two [[fake:delay=${PAUSE_MS}]]`, true);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain("data: [DONE]");
  });

  // The gateway raises the socket's bound for streams only: Bun (1.4.5) resets a quiet GET at its
  // idle bound, but not a request whose body it has read (a POST answered after 12 s under
  // `idleTimeout: 5` comes whole). Longer than Bun's 4 s tick, so a change there shows here.
  test("a slow whole answer comes whole", async () => {
    const response = await post(`one two [[fake:delay=${2 * PAUSE_MS}]]`, false);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe("chat.completion");
  });

  test("the admin event stream outlives the quiet: its keep-alives come within the bound", async () => {
    const tail = await tailEvents(f.gw.url, f.adminKey);
    f.deferTest(() => tail.close());
    // Longer than Bun's 4 s tick: a socket that quiet is closed whatever bound under it is set.
    const response = await post(`quiet [[fake:delay=${2 * PAUSE_MS}]]`, false);
    expect(response.status).toBe(200);
    const requestId = response.headers.get("x-request-id") ?? "";
    await response.arrayBuffer();
    // Nothing else happened while the upstream was quiet: the stream's own comments kept it open.
    await waitFor(
      "the request's end on the event stream",
      () =>
        tail.events.some(
          (e) =>
            e.type === "request.finished" &&
            (e as { record?: { requestId?: string } }).record?.requestId === requestId,
        ) || undefined,
    );
  });
});
