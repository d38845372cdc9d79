/**
 * Runs the fake upstream as its own process for benchmarks and multi-process tests:
 *   bun test/fake-upstream/main.ts [--port N] [--api-key K] [--require-anthropic-version] [--no-record]
 * Prints one JSON line `{"port":N}` once listening; stops on SIGTERM or SIGINT.
 */
import { parseArgs } from "node:util";
import { startFakeUpstream } from "./fake-upstream.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    "api-key": { type: "string" },
    "require-anthropic-version": { type: "boolean", default: false },
    "no-record": { type: "boolean", default: false },
  },
});

const fake = await startFakeUpstream({
  port: Number(values.port),
  requireAnthropicVersion: values["require-anthropic-version"],
  record: !values["no-record"],
  ...(values["api-key"] !== undefined ? { apiKey: values["api-key"] } : {}),
});
process.stdout.write(`${JSON.stringify({ port: fake.port })}\n`);

const shutdown = () => {
  void fake.stop().finally(() => process.exit(0));
};
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);
