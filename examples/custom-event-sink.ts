/**
 * A custom event sink: every finished request, as one NDJSON line appended to a file (a log
 * shipper picks it up from there). `publish` runs on the request path, so it only queues;
 * writing happens in the background, and `close` flushes on stop.
 */
import { appendFile } from "node:fs/promises";
import { createGateway, type EventSink, type GatewayEvent, parseConfig, silentLogger } from "../src/index.ts";

export function ndjsonFileSink(
  path: string,
  types: readonly GatewayEvent["type"][] = ["request.finished"],
): EventSink {
  let lines: string[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (lines.length === 0) return writing;
    const batch = lines.join("");
    lines = [];
    writing = writing.then(() => appendFile(path, batch)).catch(() => {});
    return writing;
  };
  const timer = setInterval(flush, 200);
  timer.unref();
  return {
    publish(event) {
      if (types.includes(event.type)) lines.push(`${JSON.stringify(event)}\n`);
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

export async function start(path: string) {
  let adminKey = "";
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      providers: [{ name: "demo", type: "mock" }],
      models: [{ name: "mock", routes: [{ provider: "demo", model: "mock" }] }],
    }),
    events: [ndjsonFileSink(path)],
    logger: silentLogger,
    onBootstrapKey: (key) => {
      adminKey = key;
    },
  });
  const { port } = gateway.listen("127.0.0.1", 0);
  return { url: `http://127.0.0.1:${port}`, adminKey, stop: () => gateway.stop() };
}

if (import.meta.main)
  console.log(`gateway on ${(await start("./events.ndjson")).url}; events in ./events.ndjson`);
