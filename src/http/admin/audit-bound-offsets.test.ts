import { afterAll, beforeAll, expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import type { Gateway } from "../../gateway/create-gateway.ts";
import { recordingGateway } from "../../testing/recording-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";

// `date +%FT%T%z` pasted into a URL (curl, a dashboard's link): its `+` arrives as a space, as a
// query string decodes it. The bound is the instant it names, as when the `+` is sent as `%2B`,
// never a 400 that lists the very form the caller sent as one it takes.

let gateway: Gateway;
let adminKey = "";
beforeAll(async () => {
  ({ gateway, adminKey } = await recordingGateway(
    parseConfig({ storage: { path: ":memory:" }, providers: [], models: [] }),
  ));
});
afterAll(() => gateway.stop());

const get = (path: string) =>
  gateway.handle(
    new Request(`http://localhost${path}`, { headers: { authorization: `Bearer ${adminKey}` } }),
  );

/** `at` as `date +%FT%T%z` prints it in Tokyo: nine hours ahead of UTC. */
const tokyo = (at: number, colon = false) =>
  `${new Date(at + 9 * 3_600_000).toISOString().slice(0, 19)}+09${colon ? ":" : ""}00`;

test("a bound whose offset's + came unencoded is read as that offset on the audit query and its export", async () => {
  // One admin call to find, once the audit log holds its row.
  const listed = await get("/admin/api/keys");
  const id = listed.headers.get("x-request-id");
  const now = Date.now();
  for (const colon of [false, true]) {
    const before = tokyo(now - 3_600_000, colon);
    const after = tokyo(now + 3_600_000, colon);
    const rows = (answer: Response) =>
      answer
        .json()
        .then((page) => (page as { records: { requestId: string }[] }).records.map((r) => r.requestId));
    const expected = await waitForValue("the keys call's row", async () => {
      const found = await rows(
        await get(`/admin/api/audit?from=${encodeURIComponent(before)}&to=${encodeURIComponent(after)}`),
      );
      return found.includes(id ?? "") ? found : undefined;
    });
    const unencoded = await get(`/admin/api/audit?from=${before}&to=${after}`);
    expect([before, unencoded.status]).toEqual([before, 200]);
    expect((await rows(unencoded)).filter((row) => expected.includes(row))).toContain(id ?? "");
    const later = await get(`/admin/api/audit?from=${after}`);
    expect(await rows(later)).toEqual([]);
    const exported = await get(`/admin/api/audit/export?from=${before}&to=${after}`);
    expect([before, exported.status]).toEqual([before, 200]);
  }
});

test("a time with a space and no offset after it is still refused", async () => {
  const answer = await get("/admin/api/audit?from=2026-12-05T17:52:00%20");
  expect(answer.status).toBe(400);
});
