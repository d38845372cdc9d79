import { afterAll } from "bun:test";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { TracerProvider } from "@opentelemetry/sdk-trace";
import { startOtlpReceiver } from "../../../../test/e2e/harness/otlp-receiver.ts";
import type { ThreadSpanProcessor } from "../thread-span-processor.ts";

/**
 * What a test file of the thread span processor needs: a local OTLP receiver, an exporter
 * environment that names it, and SDK tracers over a processor. Call once a file: the receiver and
 * every provider made (and whatever `stopAfterAll` is given) are stopped after the file's tests.
 */
export function threadTestKit() {
  const receiver = startOtlpReceiver();
  const stops: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const stop of stops) await stop();
    await receiver.stop();
  });
  const stopAfterAll = (stop: () => Promise<unknown>) => void stops.push(stop);
  const jsonTo = (url: string) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: url,
    OTEL_EXPORTER_OTLP_PROTOCOL: "http/json",
  });
  function tracerWith(processor: ThreadSpanProcessor, service = "thread-test") {
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": service }),
      spanProcessors: [processor],
    });
    stopAfterAll(() => provider.shutdown());
    return { provider, tracer: provider.getTracer("test") };
  }
  return { receiver, jsonTo, tracerWith, stopAfterAll };
}

/** Runs `run` with every message posted to a thread meanwhile seen in `posted`. */
export async function seeingPosts<Message>(
  run: (posted: readonly Message[]) => Promise<void>,
): Promise<void> {
  const posted: Message[] = [];
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (this: Worker, message: unknown) {
    posted.push(message as Message);
    post.call(this, message);
  };
  try {
    await run(posted);
  } finally {
    Worker.prototype.postMessage = post;
  }
}
