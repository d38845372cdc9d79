import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { type RedisServer, startRedis } from "../../../test/e2e/harness/redis-server.ts";
import { NodeDirectory } from "../node-directory.ts";
import type { NodeDirectoryOptions } from "../node-directory-options.ts";
import type { NodeEntry } from "../node-entry.ts";
import type { RedisLink } from "../redis-link.ts";
import { SteeredLink } from "./steered-link.ts";

/**
 * What the node-directory*.test.ts files share: a Redis of their own for the file, and nodes on it
 * that are closed after the test that opened them. Call it at the top of the file: it registers
 * the file's hooks.
 */
export function directoryTestbed() {
  let server: RedisServer | undefined;
  /** What the test under way opened (nodes, links, probes), closed once it ends, last opened first. */
  const closing: (() => unknown)[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  // A node left open beats on into the tests after its own (every 100 ms in some), and its commands
  // would be counted by theirs (INFO commandstats): each test's are closed before the next begins.
  afterEach(async () => {
    for (const close of closing.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    await server?.stop();
  });
  const redis = {
    /** The file's Redis (started in its `beforeAll`). */
    get url(): string {
      if (!server) throw new Error("the file's Redis is not started yet");
      return server.url;
    },
  };

  function steeredLink(): SteeredLink {
    return new SteeredLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  }

  /**
   * A node on the test's Redis whose heartbeat never comes within a test, unless `options` says
   * otherwise: only a notice can tell it anything.
   */
  async function node(
    id: string,
    workers: () => NodeEntry["workers"],
    link: RedisLink = steeredLink(),
    options: Partial<
      Pick<
        NodeDirectoryOptions,
        "heartbeatMs" | "leaseMs" | "now" | "self" | "onNamesake" | "clusterId" | "onUpdate"
      >
    > = {},
  ) {
    const directory = await unstarted(id, `http://${id}.invalid`, { workers, ...options }, link);
    await directory.start();
    return directory;
  }

  /** A directory under `id` on a link of its own, not started: the test starts it (and it is closed after). */
  async function unstarted(
    id: string,
    url: string,
    options: Partial<NodeDirectoryOptions> = {},
    link: RedisLink = steeredLink(),
  ) {
    expect(await link.start()).toBe(true);
    const directory = new NodeDirectory({
      link,
      self: { id, url },
      heartbeatMs: 600_000,
      workers: () => [],
      ...options,
    });
    closing.push(
      () => link.close(),
      () => directory.close(),
    );
    return directory;
  }

  return { redis, closing, steeredLink, node, unstarted };
}
