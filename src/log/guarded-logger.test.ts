import { expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { accessLineRelay } from "../audit/access-line-relay.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { waitFor } from "../testing/wait-for.ts";
import { guardedLogger } from "./guarded-logger.ts";
import { createLogger, type Logger, loggerLines, silentLogger } from "./logger.ts";

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
  const logger = guardedLogger(embedders, () => stderr);
  for (let i = 0; i < 100; i++) {
    logger.info("request");
    logger.warn("slow");
  }
  logger.debug("still heard");
  logger.error("also heard");
  expect(kept).toEqual(["still heard", "also heard"]);
  expect(said).toEqual(["the logger handed to the gateway failed: Error: log shipper down"]);
});

test("a logger whose async calls reject fails as one that throws: said on stderr once, never an unhandled rejection", async () => {
  const said: string[] = [];
  const stderr: Logger = { debug() {}, info() {}, warn: (line) => void said.push(line), error() {} };
  const shipper = async () => {
    throw new Error("log shipper down");
  };
  const logger = guardedLogger(
    { debug: shipper, info: shipper, warn: shipper, error: shipper },
    () => stderr,
  );
  for (let i = 0; i < 100; i++) logger.info("request");
  await waitFor("the failure said", () => said.length > 0);
  expect(said).toEqual(["the logger handed to the gateway failed: Error: log shipper down"]);
});

test("a logger createLogger made keeps through the guard what the gateway reads of it: the audit thread's access lines, its level, a line's own time; its write's throw caught", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mindgw-guarded-"));
  const storage = openSqliteStorage(join(dir, "audit.db"));
  try {
    // mindgw serve's own: to stderr, at info, over a store whose thread writes the lines.
    expect(accessLineRelay(guardedLogger(createLogger()), storage.audit)).toBeDefined();
    // A logger createLogger made with a write of the caller's may throw: it is guarded.
    const written: string[] = [];
    const made = createLogger({
      level: "warn",
      now: () => new Date(0),
      write: (line) => void written.push(line),
    });
    const guarded = guardedLogger(made);
    expect(loggerLines(guarded)?.enabled("info")).toBe(false);
    loggerLines(guarded)?.at("2026-01-01T00:00:00.000Z", "warn", "request", {});
    expect(written).toEqual(["2026-01-01T00:00:00.000Z warn request\n"]);
    // A logger createLogger did not make has nothing to keep.
    expect(loggerLines(guardedLogger(silentLogger))).toBeUndefined();
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const said: string[] = [];
  const stderr: Logger = { debug() {}, info() {}, warn: (line) => void said.push(line), error() {} };
  const throwing = createLogger({
    write: () => {
      throw new Error("pipe closed");
    },
  });
  loggerLines(guardedLogger(throwing, () => stderr))?.at("2026-01-01T00:00:00.000Z", "info", "request", {});
  expect(said).toEqual(["the logger handed to the gateway failed: Error: pipe closed"]);
});

test("a logger createLogger made for stderr is the gateway's own, whose writes never throw: handed in (as mindgw serve hands its own), it is used as it is, with no guard around each call", () => {
  for (const format of ["text", "json"] as const) {
    const own = createLogger({ format, level: "warn" });
    expect(guardedLogger(own)).toBe(own);
    expect(loggerLines(guardedLogger(own))?.stderr).toBe(true);
  }
});

test("a guarded logger's failures are said in its own format: a JSON line in a JSON log, not a text line among them", () => {
  const written: string[] = [];
  const json = createLogger({
    format: "json",
    now: () => new Date(0),
    write: (line) => {
      if (line.includes("request")) throw new Error("pipe closed");
      written.push(line);
    },
  });
  // The fallback is made as the guarded logger's format says: the stderr it writes to is swapped
  // here for the same logger's own write, which keeps its lines.
  const stderrWrites: string[] = [];
  const guarded = guardedLogger(json, (format) =>
    createLogger({ format, now: () => new Date(0), write: (line) => void stderrWrites.push(line) }),
  );
  guarded.info("request");
  expect(stderrWrites).toHaveLength(1);
  expect(JSON.parse(stderrWrites[0] ?? "")).toMatchObject({
    level: "warn",
    msg: "the logger handed to the gateway failed: Error: pipe closed",
  });
  expect(written).toEqual([]);
});
