import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";

// A key's rpm under a burst through the real server: admission is synchronous, so fifty requests
// at once against an rpm of 10 admit exactly ten, each told a distinct count of what is left, and
// every refusal is a 429 with whole seconds of Retry-After and an audit row saying why.

const RPM = 10;
const BURST = 50;

let dir: string;
let gateway: Gateway;
let adminKey = "";
let finished: AuditRecord[] = [];
let url = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "mindgw-rpm-burst-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "demo", type: "mock" }],
    models: [{ name: "m", routes: [{ provider: "demo", model: "mock" }] }],
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

test(`${BURST} requests at once against an rpm of ${RPM}: exactly ${RPM} pass, the rest are refused and audited`, async () => {
  const created = await fetch(`${url}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "burst", rpm: RPM }),
  });
  const { key } = (await created.json()) as { key: string };
  const answers = await Promise.all(
    Array.from({ length: BURST }, () =>
      fetch(`${url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }),
      }),
    ),
  );
  await Promise.all(answers.map((answer) => answer.arrayBuffer()));
  const admitted = answers.filter((answer) => answer.status === 200);
  const refused = answers.filter((answer) => answer.status === 429);
  expect([admitted.length, refused.length]).toEqual([RPM, BURST - RPM]);
  const left = admitted.map((answer) => Number(answer.headers.get("x-ratelimit-remaining-requests")));
  expect(left.sort((a, b) => a - b)).toEqual(Array.from({ length: RPM }, (_, i) => i));
  for (const answer of refused) {
    expect(answer.headers.get("retry-after")).toMatch(/^[1-9]\d*$/);
    expect(answer.headers.get("x-ratelimit-remaining-requests")).toBe("0");
  }
  const record = await recordOf(finished, refused[0] as Response);
  expect([record.status, record.errorClass, record.errorMessage]).toEqual([
    429,
    "rate_limited",
    `rate limit reached for this credential on requests per minute (limit ${RPM}); retry in the time Retry-After says`,
  ]);
});
