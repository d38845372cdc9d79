/**
 * One way of relaying a streamed answer, alone: a Bun server that forwards each request to the
 * upstream with `fetch` and answers with the upstream's stream in the given shape. Started by
 * bench/relay-shapes.ts (which says what each shape is).
 *   bun bench/relay-shape-server.ts --upstream http://127.0.0.1:PORT --shape NAME
 * Prints one JSON line `{"port":N}` once listening; stops on SIGTERM.
 */
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { upstream: { type: "string" }, shape: { type: "string" } } });
if (!values.upstream) throw new Error("--upstream URL is required");
const upstream = `${values.upstream.replace(/\/$/, "")}/v1/chat/completions`;
const SSE = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** Reads the whole answer (the burst upstream sends it in one read, its end right behind). */
async function whole(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Uint8Array> {
  const first = await reader.read();
  const end = await reader.read();
  if (first.done || !end.done) throw new Error("the upstream did not send its stream in one read");
  return first.value;
}

type Shape = (response: Response) => Promise<Response>;
const SHAPES: Record<string, Shape> = {
  bare: async (response) => response,
  standard: async (response) => {
    const reader = response.body!.getReader();
    let first: Uint8Array | undefined = (await reader.read()).value;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        if (first) controller.enqueue(first);
        first = undefined;
      },
      async pull(controller) {
        const next = await reader.read();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel: () => reader.cancel(),
    });
    return new Response(body, { headers: SSE });
  },
  "standard-closed": async (response) => {
    const bytes = await whole(response.body!.getReader());
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes);
        controller.close();
      },
    });
    return new Response(body, { headers: SSE });
  },
  "direct-closed": async (response) => {
    const bytes = await whole(response.body!.getReader());
    const source: Bun.DirectUnderlyingSource<Uint8Array> = {
      type: "direct",
      pull(controller) {
        controller.write(bytes);
        controller.close();
      },
    };
    return new Response(new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>), {
      headers: SSE,
    });
  },
  bytes: async (response) =>
    new Response((await whole(response.body!.getReader())) as Uint8Array<ArrayBuffer>, { headers: SSE }),
};

const shape = SHAPES[values.shape ?? ""];
if (!shape) throw new Error(`--shape: one of ${Object.keys(SHAPES).join(", ")}`);
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    const response = await fetch(upstream, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: await request.text(),
    });
    return shape(response);
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  void server.stop(true).finally(() => process.exit(0));
});
