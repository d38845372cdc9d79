import { afterAll, describe, expect, test } from "bun:test";
import { waitFor } from "../../../testing/wait-for.ts";
import { CallCancel, type LeanInit } from "../call-cancel.ts";
import type { StreamedAnswer } from "../streamed-answer.ts";
import type { WholeAnswer } from "../whole-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { createLeanFetch } from "./lean-fetch.ts";
import { ok, rawServer, servers } from "./testing/raw-server.ts";

afterAll(() => {
  for (const server of servers) server.stop(true);
});

/** The lean client on a pool of its own; what it hands to its fallback is recorded. */
function client() {
  const handedOn: (RequestInit | undefined)[] = [];
  const lean = createLeanFetch({
    fallback: async (_input, init) => {
      handedOn.push(init);
      return new Response("from fallback");
    },
    env: {},
    pool: new ConnectionPool(),
  });
  return { lean, handedOn };
}

const EVENTS_HEAD =
  "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n";

/** The call settled first, then its outcome looked at (a pending promise is never handed to `expect`). */
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    (answer) => ({ answer, error: undefined }),
    (error: unknown) => ({ answer: undefined, error }),
  );

describe("lean client: a cancel hook in place of a signal", () => {
  test("cancelled while its request waits for the head: rejects with the reason, the connection closes", async () => {
    const server = rawServer(() => {});
    const { lean } = client();
    const cancel = new CallCancel();
    const init: LeanInit = { method: "POST", body: "{}", cancel };
    const pending = outcome(lean.answer(`${server.url}/hang`, init));
    await waitFor("the request to arrive", () => server.state.requests.length === 1);
    expect(cancel.stage).not.toBeNull();
    cancel.cancel(new Error("client left"));
    expect(((await pending).error as Error).message).toBe("client left");
    expect(cancel.stage).toBeNull();
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
  });

  test("cancelled while its connection opens: rejects at once, and the connection is closed when it opens", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("late")));
    const { lean } = client();
    const cancel = new CallCancel();
    const init: LeanInit = { cancel };
    const pending = outcome(lean(`${server.url}/`, init));
    cancel.cancel(new Error("gone early"));
    expect(((await pending).error as Error).message).toBe("gone early");
    await waitFor("the opened connection to be closed", () => server.state.closed === 1);
    expect(server.state.requests).toHaveLength(0);
  });

  test("cancelled mid-feed: the waiting read fails with the reason and the connection closes", async () => {
    const server = rawServer((_request, socket) => socket.write(`${EVENTS_HEAD}b\r\ndata: one\n\n\r\n`));
    const { lean } = client();
    const cancel = new CallCancel();
    const init: LeanInit = { method: "POST", body: "{}", cancel };
    const answer = (await lean.stream(`${server.url}/`, init)) as StreamedAnswer;
    expect((await answer.body.readMany()).done).toBe(false);
    const pending = outcome(Promise.resolve(answer.body.readMany()));
    cancel.cancel(new Error("client left"));
    expect(((await pending).error as Error).message).toBe("client left");
    await waitFor("the server to see the connection close", () => server.state.closed === 1);
  });

  test("cancelled already: rejects with its reason and opens nothing", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("never")));
    const { lean } = client();
    const cancel = new CallCancel();
    cancel.cancel(new Error("already"));
    const init: LeanInit = { cancel };
    expect(((await outcome(lean(`${server.url}/`, init))).error as Error).message).toBe("already");
    expect(server.state.connections).toBe(0);
  });

  test("answered whole: the hook is let go, a late cancel changes nothing, the connection is reused", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("done")));
    const { lean } = client();
    const first = new CallCancel();
    const firstInit: LeanInit = { method: "POST", body: "{}", cancel: first };
    const answer = (await lean.answer(`${server.url}/`, firstInit)) as WholeAnswer;
    expect(new TextDecoder().decode(answer.body)).toBe("done");
    expect(first.stage).toBeNull();
    first.cancel(new Error("too late"));
    const second = new CallCancel();
    const secondInit: LeanInit = { method: "POST", body: "{}", cancel: second };
    await lean.answer(`${server.url}/`, secondInit);
    expect(server.state.connections).toBe(1);
    expect(server.state.closed).toBe(0);
  });

  test("a call handed to the fallback gets the hook's signal, which its cancel aborts", async () => {
    const { lean, handedOn } = client();
    const cancel = new CallCancel();
    const init: LeanInit = { method: "POST", body: "{}", cancel };
    expect(await (await lean("https://example.invalid/v1", init)).text()).toBe("from fallback");
    const given = handedOn[0] as RequestInit;
    expect("cancel" in given).toBe(false);
    expect(given.signal?.aborted).toBe(false);
    cancel.cancel(new Error("gone"));
    expect(given.signal?.reason).toEqual(new Error("gone"));
  });

  test("a call handed to the fallback when its init no longer encodes is out, no longer unsent, as fetch's are", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("lean")));
    const { lean, handedOn } = client();
    const said: boolean[] = [];
    const cancel = Object.assign(new CallCancel(), { requestUnsent: (unsent: boolean) => said.push(unsent) });
    const init: LeanInit = { method: "POST", body: "{}", cancel };
    const pending = lean(`${server.url}/`, init);
    // Changed while its connection opens: encoded again on it, it encodes no longer.
    init.method = "BREW";
    expect(await (await pending).text()).toBe("from fallback");
    expect(handedOn).toHaveLength(1);
    expect(said).toEqual([true, false]);
  });

  test("two calls under one hook: the first is its stage, the second listens on its signal; a cancel ends both", async () => {
    const server = rawServer(() => {});
    const { lean } = client();
    const cancel = new CallCancel();
    const init: LeanInit = { method: "POST", body: "{}", cancel };
    const first = outcome(lean.answer(`${server.url}/a`, init));
    const second = outcome(lean.answer(`${server.url}/b`, init));
    await waitFor("both requests to arrive", () => server.state.requests.length === 2);
    cancel.cancel(new Error("client left"));
    expect([((await first).error as Error).message, ((await second).error as Error).message]).toEqual([
      "client left",
      "client left",
    ]);
    await waitFor("both connections to close", () => server.state.closed === 2);
  });

  test("a call with a hook never reads the init's signal (an attempt makes one only when it is read)", async () => {
    const server = rawServer((_request, socket) => socket.write(ok("whole")));
    const { lean } = client();
    const cancel = new CallCancel();
    let signalReads = 0;
    const init = {
      method: "POST",
      body: "{}",
      cancel,
      get signal() {
        signalReads++;
        return cancel.signal;
      },
    };
    const answer = (await lean.answer(`${server.url}/`, init)) as WholeAnswer;
    expect(answer.status).toBe(200);
    expect(signalReads).toBe(0);
  });
});
