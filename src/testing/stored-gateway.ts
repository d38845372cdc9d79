import { afterAll, beforeAll } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { type Logger, silentLogger } from "../log/logger.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { Storage } from "../storage/storage.ts";
import { callAs, type RecordingGateway, recordingGateway } from "./recording-gateway.ts";

/** A recording gateway on a store in a temp dir of its own, and its callers' calls. */
export interface StoredGateway extends RecordingGateway {
  /**
   * A `method` call of `path` in-process, `body` (when given) as JSON, by the caller whose key is
   * `as`: the bootstrap admin unless given.
   */
  call(method: string, path: string, body?: object, as?: string): Promise<Response>;
}

/** A stored gateway a test started itself: it stops it. */
export interface StartedGateway extends StoredGateway {
  /** Stops the gateway and removes its temp dir. */
  stop(): Promise<void>;
}

type ConfigInput = Record<string, unknown>;

export interface StoredGatewayOptions {
  logger?: Logger;
  /** The store in `dir`, the gateway's temp dir: one a test fails or counts the reads of. Default: SQLite there. */
  storageIn?: (dir: string) => Storage;
}

/** A recording gateway in-process on `config`, its store in a temp dir of its own. */
export async function startStoredGateway(
  config: ConfigInput,
  { logger = silentLogger, storageIn }: StoredGatewayOptions = {},
): Promise<StartedGateway> {
  const tmp = tempDir();
  let started: RecordingGateway;
  try {
    started = await recordingGateway(
      parseConfig({ storage: { path: tmp.file("gw.db") }, ...config }),
      logger,
      storageIn ? { storage: storageIn(tmp.dir) } : {},
    );
  } catch (error) {
    tmp.cleanup();
    throw error;
  }
  const { gateway, adminKey } = started;
  return {
    ...started,
    call: (method, path, body, as = adminKey) => callAs(gateway, as, method, path, body),
    stop: async () => {
      await gateway.stop();
      tmp.cleanup();
    },
  };
}

/**
 * `startStoredGateway` for a whole file: started before the file's tests and stopped after them.
 * `config` may be a function, run in `beforeAll` after the hooks registered before this call (an
 * upstream the config points at). Read it from the tests.
 */
export function storedGateway(
  config: ConfigInput | (() => ConfigInput),
  logger: Logger = silentLogger,
): StoredGateway {
  let started: StartedGateway | undefined;
  beforeAll(async () => {
    started = await startStoredGateway(typeof config === "function" ? config() : config, { logger });
  });
  afterAll(() => started?.stop());
  const gw = (): StartedGateway => {
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
    call: (...args) => gw().call(...args),
  };
}
