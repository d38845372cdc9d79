// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are config text with ${VAR} placeholders, not templates
import { describe, expect, test } from "bun:test";
import { configProblems as problems } from "../testing/config-problems.ts";
import { configSchema } from "./config-schema.ts";
import { parseConfig } from "./load-config.ts";

describe("URL fields", () => {
  test("storage.url: a PostgreSQL URL, refused at load naming the field and never quoting it (its password)", () => {
    const stored = (url: string) => problems({ storage: { driver: "postgres", url } });
    // libpq's keyword/value form: Bun's client takes URLs only, and serve failed with "Invalid URL".
    const keywords = stored("host=db user=gw password=hunter2");
    expect(keywords).toEqual(["storage.url: not a PostgreSQL URL (postgres://user:pass@host:5432/db)"]);
    // Bun's client picks its protocol from the scheme: mysql:// would speak MySQL to the store.
    expect(stored("mysql://gw:hunter2@db/mindgw")).toEqual(keywords);
    expect(stored("http://gw:hunter2@db/mindgw")).toEqual(keywords);
    for (const fine of ["postgres://gw:pw@db:5432/mindgw", "postgresql://db/mindgw?sslmode=require"])
      expect(parseConfig({ storage: { driver: "postgres", url: fine } }).storage.url).toBe(fine);
    // `${DATABASE_URL:-}` on a SQLite node: no URL, as before.
    expect(parseConfig({ storage: { url: "" } }).storage.driver).toBe("sqlite");
    expect(problems({ storage: { driver: "postgres", url: "" } })).toEqual([
      "storage.url: required with driver: postgres (postgres://user:pass@host:5432/db)",
    ]);
  });

  test("cluster.redis_url and events.redis_stream.url: a scheme Bun's Redis client speaks, refused at load naming the field", () => {
    const cluster = (redis_url: string) => ({
      storage: { driver: "postgres", url: "postgres://db/mindgw" },
      cluster: { redis_url, advertise_url: "http://10.0.0.7:8080", secret: "0123456789abcdef" },
    });
    // Bun's client throws at start on any other scheme: config check said valid, serve a stack trace.
    const refused =
      "not a Redis URL (redis://, rediss://, valkey://, valkeys://, redis+tls://, redis+unix://, redis+tls+unix://)";
    expect(problems(cluster("http://u:hunter2@r:6379"))).toEqual([`cluster.redis_url: ${refused}`]);
    expect(problems({ events: { redis_stream: { url: "https://r:6379" } } })).toEqual([
      `events.redis_stream.url: ${refused}`,
    ]);
    for (const fine of [
      "redis://:pw@r:6379/2",
      "rediss://r",
      "valkey://r:6380",
      "redis+unix:///run/redis.sock",
    ])
      expect(parseConfig(cluster(fine)).cluster?.redis_url).toBe(fine);
    // No scheme: Bun reads it as valkey://, and so is it kept, its password redacted as any URL's.
    expect(parseConfig(cluster("default:pw@r:6379")).cluster?.redis_url).toBe("valkey://default:pw@r:6379");
  });

  test("a URL with an empty port is refused, naming the field", () => {
    const urls = (base_url: string) => {
      const document = { providers: [{ name: "p", type: "openai", base_url }] };
      return configSchema.safeParse(document).success ? [] : problems(document);
    };
    expect(urls("http://127.0.0.1:/v1")).toEqual([
      "providers[0].base_url: the port after ':' is empty (write the port, or leave out the ':')",
    ]);
    for (const empty of ["http://127.0.0.1:", "http://user:pw@[::1]:/v1", "https://h:?q=1"])
      expect(urls(empty)).toHaveLength(1);
    for (const fine of [
      "http://127.0.0.1:8000/v1",
      "http://user:pw@h/v1",
      "https://h/a:b",
      "http://[::1]/v1",
    ])
      expect(urls(fine)).toEqual([]);
    expect(
      problems({ events: { webhooks: [{ url: "https://hooks.test:/x" }] } }).some((p) =>
        p.startsWith("events.webhooks[0].url: the port after ':' is empty"),
      ),
    ).toBe(true);
  });
});
