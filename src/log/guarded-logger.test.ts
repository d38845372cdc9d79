import { expect, test } from "bun:test";
import { guardedLogger } from "./guarded-logger.ts";
import type { Logger } from "./logger.ts";

test("a logger that throws throws into nobody: its failure is said on stderr once, not once a call", () => {
  const said: string[] = [];
  const stderr: Logger = { debug() {}, info() {}, warn: (line) => void said.push(line), error() {} };
  const kept: string[] = [];
  const embedders: Logger = {
    debug: (message) => void kept.push(message),
    info() {
      throw new Error("log shipper down");
    },
    warn() {
      throw new Error("log shipper down");
    },
    error: (message) => void kept.push(message),
  };
  const logger = guardedLogger(embedders, stderr);
  for (let i = 0; i < 100; i++) {
    logger.info("request");
    logger.warn("slow");
  }
  logger.debug("still heard");
  logger.error("also heard");
  expect(kept).toEqual(["still heard", "also heard"]);
  expect(said).toEqual(["the embedder's logger failed: Error: log shipper down"]);
});
