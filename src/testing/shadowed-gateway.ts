import { afterAll, beforeAll } from "bun:test";
import { type FakeUpstream, startFakeUpstream } from "../../test/fake-upstream/fake-upstream.ts";
import type { Config } from "../config/config-schema.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import { type RecordingGateway, recordingGateway } from "./recording-gateway.ts";

// What the tests of a shadowed gateway in-process share (test support, not shipped): a fake
// upstream both sides call, a gateway on the test's own config, and their stop.

/** Where a test's config points: the fake upstream's `/v1` base URL and a database file of its own. */
export interface ShadowedGatewayPlaces {
  readonly baseUrl: string;
  readonly dbPath: string;
}

/** The gateway under test (its records and key, as `recordingGateway` keeps them) and its fake upstream. */
export type ShadowedGateway = RecordingGateway & { readonly fake: FakeUpstream };

/**
 * A fake upstream and a gateway on `configOf` it, started before the file's tests and stopped
 * after them, the database's folder removed. Read it from the tests: it is started in `beforeAll`.
 */
export function shadowedGateway(configOf: (places: ShadowedGatewayPlaces) => Config): ShadowedGateway {
  const tmp = tempDir();
  let fake: FakeUpstream | undefined;
  let gw: RecordingGateway | undefined;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    gw = await recordingGateway(configOf({ baseUrl: `${fake.url}/v1`, dbPath: tmp.file("gw.db") }));
  });
  afterAll(async () => {
    await gw?.gateway.stop();
    await fake?.stop();
    tmp.cleanup();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the shadowed gateway is read before beforeAll started it");
    return value;
  };
  return {
    get fake() {
      return started(fake);
    },
    get gateway() {
      return started(gw).gateway;
    },
    get adminKey() {
      return started(gw).adminKey;
    },
    get finished() {
      return started(gw).finished;
    },
  };
}
