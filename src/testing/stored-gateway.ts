import { afterAll, beforeAll } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { callAs, type RecordingGateway, recordingGateway } from "./recording-gateway.ts";

/** A file's recording gateway, and its bootstrap admin's calls. */
export interface StoredGateway extends RecordingGateway {
  /** A `method` call of `path` in-process by the bootstrap admin, `body` (when given) as JSON. */
  call(method: string, path: string, body?: object): Promise<Response>;
}

type ConfigInput = Record<string, unknown>;

/**
 * A recording gateway in-process on `config` with its store in a temp dir of its own, started
 * before the file's tests and stopped after them, the dir removed. `config` may be a function, run
 * in `beforeAll` after the hooks registered before this call (an upstream the config points at).
 * Read it from the tests.
 */
export function storedGateway(
  config: ConfigInput | (() => ConfigInput),
  logger: Logger = silentLogger,
): StoredGateway {
  const tmp = tempDir();
  let started: RecordingGateway | undefined;
  beforeAll(async () => {
    const given = typeof config === "function" ? config() : config;
    started = await recordingGateway(parseConfig({ storage: { path: tmp.file("gw.db") }, ...given }), logger);
  });
  afterAll(async () => {
    await started?.gateway.stop();
    tmp.cleanup();
  });
  const gw = (): RecordingGateway => {
    if (started === undefined) throw new Error("the stored gateway is read before beforeAll started it");
    return started;
  };
  return {
    get gateway() {
      return gw().gateway;
    },
    get adminKey() {
      return gw().adminKey;
    },
    get finished() {
      return gw().finished;
    },
    call: (method, path, body) => callAs(gw().gateway, gw().adminKey, method, path, body),
  };
}
