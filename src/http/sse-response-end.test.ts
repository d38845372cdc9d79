import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ChunkSource } from "../core/chunk-source.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { childEnv } from "../testing/off-cloud-env.ts";
import { type StreamEnds, sseResponse } from "./sse-response.ts";
import { StoredBeforeEnd } from "./stored-before-answer.ts";
import { drainedWith, encoder, heldRelayOf, streamEnds } from "./testing/sse-kit.ts";

// When a stream's end reaches the client: held for the charge's record or a stored answer's save
// where those must come first, and before the request's own ending runs.

describe("sseResponse: the end", () => {
  test("the bytes holding the end marker wait until the charge's record is answered when it goes to other nodes (a cluster node's); alone, for nothing", async () => {
    /** What ran in what order: the charge's record, made by `answered`, and the response's last write. */
    const order = async (shared: boolean) => {
      const seen: string[] = [];
      const ending = Promise.withResolvers<void>();
      const ends: StreamEnds = {
        firstByte() {},
        answered() {
          if (!shared) {
            queueMicrotask(() => seen.push("recorded"));
            return undefined;
          }
          // Answered a turn of the event loop later, as Redis answers at the soonest.
          const answered = Promise.withResolvers<void>();
          setImmediate(() => {
            seen.push("record answered");
            answered.resolve();
          });
          return answered.promise;
        },
        // Called in the same turn as the write of the last bytes (the source drained with them).
        closing: () => seen.push("last bytes"),
        end: () => ending.resolve(),
      };
      const chunks = drainedWith(
        'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n',
      );
      const response = sseResponse(chunks, "openai", {}, ends, chunks.ready?.());
      await response.text();
      await ending.promise;
      return seen;
    };
    expect(await order(true)).toEqual(["record answered", "last bytes"]);
    // One node records at once: nothing to wait for, no await a stream.
    expect(await order(false)).toEqual(["last bytes", "recorded"]);
  });

  test.each(["the charge's record (a cluster node's)", "a stored answer's save"])(
    "a client that hangs up while the bytes holding the end marker wait for %s did not have the whole answer: client_closed",
    async (holder) => {
      const reads = ['data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n', "data: [DONE]\n\n"];
      // The upstream sends the end marker and never closes its body (as one that is slow to).
      const relay = heldRelayOf(reads);
      const held = Promise.withResolvers<undefined>();
      const holding = Promise.withResolvers<void>();
      const hold = () => {
        holding.resolve();
        return held.promise;
      };
      const byRecord = holder.includes("record");
      // A save begins with the end marker's read (relay.complete), which waits for it.
      const chunks = byRecord
        ? relay
        : new StoredBeforeEnd(relay, { saved: () => (relay.complete ? hold() : undefined) });
      const ending = Promise.withResolvers<GatewayError | undefined>();
      const ends: StreamEnds = {
        firstByte() {},
        answered: () => (byRecord ? hold() : undefined),
        closing() {},
        end: ending.resolve,
      };
      const response = sseResponse(chunks, "openai", {}, ends, undefined);
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const read = reader.read();
      // The end marker is read and held: the client leaves before it has it.
      await holding.promise;
      await reader.cancel();
      await read;
      held.resolve(undefined);
      const error = await ending.promise;
      expect(error?.code).toBe("client_closed");
    },
  );

  test("the stream's end reaches the client before the request's own ending runs", async () => {
    // The end comes a turn after the first read, once the head is out (a stream already over
    // by then would be sent whole, with a Content-Length and no terminator).
    let read = 0;
    const chunks: ChunkSource = {
      reported: undefined,
      async next() {
        if (read++ === 0)
          return encoder.encode(
            'data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\ndata: [DONE]\n\n',
          );
        await new Promise((resolve) => setImmediate(resolve));
        return undefined;
      },
      cancel() {},
    };
    const { endedAt, heldUntil } = await whenTheEndArrives(chunks);
    expect(heldUntil).toBeGreaterThan(0);
    expect(endedAt).toBeLessThan(heldUntil);
  });

  test("a stream drained with the first read handed in reaches the client before the request's own ending runs", async () => {
    // The whole answer in the first read, the end with it (one the pipeline relays: captured, say).
    const body = `data: {"choices":[{"index":0,"delta":{"content":"hi"}}]}\n\n${"data: {}\n\n".repeat(40)}data: [DONE]\n\n`;
    const { endedAt, heldUntil, wire } = await whenTheEndArrives(drainedWith(body));
    expect(heldUntil).toBeGreaterThan(0);
    expect(endedAt).toBeLessThan(heldUntil);
    expect(wire).toContain(body);
    expect(wire).toEndWith("0\r\n\r\n");
  });
});

/**
 * Serves `chunks` as an SSE response to a client in a process of its own that notes when the
 * response was complete (the chunked terminator arrived, or all of its declared length) and leaves
 * a mark file then. The request's ending holds this process until the mark is there (10 s at
 * most): the client can only have had the end while the ending held if it went out before the
 * ending ran, so `endedAt` before `heldUntil` holds however slow the machine, and an end written
 * after the ending arrives only after the 10 s. `wire` is everything the client read.
 */
async function whenTheEndArrives(
  chunks: ChunkSource,
): Promise<{ endedAt: number; heldUntil: number; wire: string }> {
  // The request's ending (usage, the audit record, the access line) holds this process.
  let heldUntil = 0;
  const mark = join(mkdtempSync(join(tmpdir(), "sse-end-")), "ended");
  const onEnd = () => {
    const deadline = Date.now() + 10_000;
    // stimulus: the busy ending, held until the client has the whole answer or the deadline
    while (!existsSync(mark) && Date.now() < deadline) Bun.sleepSync(5);
    heldUntil = Date.now();
  };
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch() {
      await new Promise((resolve) => setImmediate(resolve));
      return sseResponse(chunks, "openai", {}, streamEnds(onEnd), chunks.ready?.());
    },
  });
  const client = Bun.spawn(
    [
      process.execPath,
      "-e",
      `let seen = "";
      const socket = await Bun.connect({ hostname: "127.0.0.1", port: ${server.port}, socket: {
        data(_s, data) {
          seen += data.toString();
          const head = seen.indexOf("\\r\\n\\r\\n");
          const length = /content-length: (\\d+)/i.exec(seen)?.[1];
          const complete = length === undefined
            ? seen.endsWith("0\\r\\n\\r\\n")
            : head !== -1 && seen.length - head - 4 >= Number(length);
          if (complete) {
            const endedAt = Date.now();
            require("node:fs").writeFileSync(${JSON.stringify(mark)}, "");
            process.stdout.write(endedAt + "\\n" + seen);
            process.exit(0);
          }
        } } });
      socket.write("GET / HTTP/1.1\\r\\nhost: 127.0.0.1\\r\\n\\r\\n");`,
    ],
    { env: childEnv(), stdout: "pipe", stderr: "inherit" },
  );
  const deadline = setTimeout(() => client.kill(), 20_000);
  try {
    const [endedAt, ...wire] = (await new Response(client.stdout).text()).split("\n");
    return { endedAt: Number(endedAt), heldUntil, wire: wire.join("\n") };
  } finally {
    clearTimeout(deadline);
    client.kill();
    await client.exited;
    server.stop(true);
    rmSync(dirname(mark), { recursive: true, force: true });
  }
}
