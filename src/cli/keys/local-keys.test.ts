import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../../test/e2e/harness/redis-server.ts";
import { forThisNode } from "../../cluster/cluster-identity.ts";
import { KEY_CHANNEL } from "../../cluster/key-notice.ts";
import { parseConfig } from "../../config/load-config.ts";
import { postgresFixture } from "../../storage/postgres/postgres-storage-fixture.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { localKeys } from "./local-keys.ts";

const pg = postgresFixture();
let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

test("keys -c with cluster: whose role cannot make the cluster's id still tells the nodes: its notice goes unstamped, and a node takes it", async () => {
  const url = await pg.database();
  // The tables made, and no cluster id: every insert into cluster_meta refused (a role granted only SELECT).
  await pg.storage(url);
  const sql = pg.client(url);
  await sql.unsafe(`CREATE FUNCTION refuse_insert() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'permission denied for table cluster_meta'; END $$ LANGUAGE plpgsql`);
  await sql.unsafe(
    "CREATE TRIGGER refused BEFORE INSERT ON cluster_meta FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
  );
  const database = new URL(url);
  database.searchParams.set("sslmode", "disable");
  const config = parseConfig({
    storage: { driver: "postgres", url: database.toString() },
    cluster: { redis_url: redis.url, advertise_url: "http://10.0.0.7:8080", secret: "0123456789abcdef" },
  });
  const listener = new RedisClient(redis.url);
  const heard: string[] = [];
  try {
    await listener.subscribe(KEY_CHANNEL, (message) => heard.push(message));
    const keys = await localKeys(config, false, { createsStore: false });
    await keys.create({ name: "made-by-command", role: "user" });
    await keys.close();
    const [notice] = await waitForValue(
      "the key notice",
      () => (heard.length > 0 ? heard : undefined),
      10_000,
      20,
    );
    expect(JSON.parse(notice!)).not.toHaveProperty("cluster");
    // A node of whatever cluster id takes an unstamped notice.
    expect(forThisNode(notice!, "a-cluster-id")).toBe(true);
  } finally {
    listener.close();
  }
});
