/**
 * A collector stand-in for the tracing benchmark: accepts OTLP/HTTP exportCount and discards them
 * (counting spans' bytes only), so the gateway pays the full cost of exporting.
 *   bun bench/otlp-sink.ts
 * Prints one JSON line `{"port":N}` once listening; stops on SIGTERM.
 */
let exportCount = 0;
let bytes = 0;
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const body = await req.arrayBuffer();
    exportCount++;
    bytes += body.byteLength;
    return new Response(null, { status: 200 });
  },
});
process.stdout.write(`${JSON.stringify({ port: server.port })}\n`);
process.on("SIGTERM", () => {
  process.stderr.write(`otlp-sink: ${exportCount} exportCount, ${bytes} bytes\n`);
  server.stop(true);
  process.exit(0);
});
