import { describe, expect, test } from "bun:test";
import OpenAI from "openai";
import { createKey } from "./harness/admin-api.ts";
import { responsesFixture } from "./harness/responses-fixture.ts";
import { openaiFailure } from "./harness/sdk-failure.ts";

// Whose stored responses a key may read, list, chain on or delete: its tenant's, its own outside
// every tenant, never another key's of a free tenant label.

const api = responsesFixture();
const { fx, client } = api;

/** `other` can neither read, list, delete nor chain on the stored response `id` (404s, and
 * OpenAI's 400 for the chain), and nothing of those reaches the upstream. */
async function expectShutOut(other: OpenAI, id: string): Promise<void> {
  const before = fx.fake.requests.length;
  // One after another: made at once, the first to fail its expect left the others' rejections
  // unhandled (an "Unhandled error between tests" beside the failure).
  for (const attempt of [
    () => other.responses.retrieve(id),
    () => other.responses.inputItems.list(id),
    () => other.responses.delete(id),
  ])
    expect(await openaiFailure(attempt())).toBeInstanceOf(OpenAI.NotFoundError);
  expect(
    await openaiFailure(other.responses.create({ model: "m1", input: "continue", previous_response_id: id })),
  ).toBeInstanceOf(OpenAI.BadRequestError);
  expect(fx.fake.requests.length).toBe(before);
}

describe("tenant isolation", () => {
  test("another tenant cannot read a stored response: 404, like an unknown id", async () => {
    const mine = await api.acme.responses.create({ model: "m1", input: "acme secret" });
    const theirs = await openaiFailure(api.globex.responses.retrieve(mine.id));
    expect(theirs).toBeInstanceOf(OpenAI.NotFoundError);
    const unknown = await openaiFailure(api.globex.responses.retrieve("resp_does_not_exist"));
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
    expect(theirs.error).toMatchObject({
      type: "invalid_request_error",
      param: null,
      code: null,
    });
    expect(JSON.stringify(theirs.error)).not.toContain("acme secret");
  });

  test("another tenant cannot chain on it: OpenAI's 400 previous_response_not_found, nothing sent upstream", async () => {
    const mine = await api.acme.responses.create({ model: "m1", input: "acme only" });
    const before = fx.fake.requests.length;
    const error = await openaiFailure(
      api.globex.responses.create({ model: "m1", input: "continue", previous_response_id: mine.id }),
    );
    // As OpenAI answers it, so a client (Codex) sends the whole conversation again.
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error.error).toMatchObject({
      type: "invalid_request_error",
      code: "previous_response_not_found",
      param: "previous_response_id",
    });
    const unknown = await openaiFailure(
      api.acme.responses.create({ model: "m1", input: "continue", previous_response_id: "resp_nope" }),
    );
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect(fx.fake.requests.length).toBe(before);
  });
});

describe("keys outside every tenant", () => {
  test("each key's stored responses are its own: another key cannot read, list, chain on or delete them", async () => {
    const appA = await createKey(fx.gw, { name: "app-a" });
    const a = client(appA.key);
    const b = client((await createKey(fx.gw, { name: "app-b" })).key);
    const mine = await a.responses.create({ model: "m1", input: "app-a private" });
    await expectShutOut(b, mine.id);
    // The owner still reads and continues it.
    expect((await a.responses.retrieve(mine.id)).id).toBe(mine.id);
    const next = await a.responses.create({ model: "m1", input: "go on", previous_response_id: mine.id });
    expect(next.status).toBe("completed");
    // A rotation's new key is the same caller's: it reads and continues them (docs/CLIENTS.md),
    // and another key still does not.
    const rotated = await fetch(`${fx.gw.url}/admin/api/keys/${appA.id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${fx.gw.adminKey}` },
    });
    const fresh = client(((await rotated.json()) as { key: string }).key);
    expect((await fresh.responses.retrieve(mine.id)).id).toBe(mine.id);
    const onFresh = await fresh.responses.create({
      model: "m1",
      input: "and on",
      previous_response_id: next.id,
    });
    expect(onFresh.status).toBe("completed");
    expect(await openaiFailure(b.responses.retrieve(onFresh.id))).toBeInstanceOf(OpenAI.NotFoundError);
    await a.responses.delete(mine.id);
    expect(await openaiFailure(a.responses.retrieve(mine.id))).toBeInstanceOf(OpenAI.NotFoundError);
  });
});

describe("keys sharing a free tenant label", () => {
  test("share nothing: another key of the label cannot read, list, chain on or delete the owner's", async () => {
    // No `tenants:` at all: a key's tenant is a free label, which makes nobody a member.
    const free = await fx.spawn({
      config: {
        providers: [{ name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` }],
        models: [{ name: "m1", routes: [{ provider: "fake", model: "up-m1" }] }],
      },
    });
    const on = (key: string) => new OpenAI({ baseURL: `${free.url}/v1`, apiKey: key, maxRetries: 0 });
    const alice = on((await createKey(free, { name: "alice", tenant: "acme" })).key);
    const mallory = on((await createKey(free, { name: "mallory", tenant: "acme" })).key);
    const mine = await alice.responses.create({ model: "m1", input: "alice private" });
    await expectShutOut(mallory, mine.id);
    const items = await alice.responses.inputItems.list(mine.id);
    expect(JSON.stringify(items.data)).toContain("alice private");
  });
});
