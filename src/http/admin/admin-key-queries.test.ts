import { expect, test } from "bun:test";
import type { KeyView } from "../../auth/key-view.ts";
import { storedGateway } from "../../testing/stored-gateway.ts";

// The query strings of `/admin/api/keys…` and `/admin/api/tenants` held to what they read, as the
// audit, shadow, actions, stats and spend queries are: a parameter they do not read (a typo,
// `?tennant=`) is a 400 naming it, never left unread while the call acts on every tenant's key of
// the name; `include_revoked` is `true` or `false`, not any word read as false.

const gw = storedGateway({ providers: [], models: [] });
const call = (method: string, path: string, body?: object) => gw.call(method, path, body);
const refusal = async (answer: Response): Promise<[number, object]> => [
  answer.status,
  ((await answer.json()) as { error: object }).error,
];

test("a query parameter the keys routes and the tenants report do not read is a 400 naming it; nothing is done", async () => {
  const key = (await (
    await call("POST", "/admin/api/keys", { name: "svc", tenant: "acme" })
  ).json()) as KeyView;
  const calls: Array<[string, string, object?]> = [
    ["GET", "/admin/api/keys?tennant=acme"],
    ["GET", "/admin/api/keys/svc?tennant=acme"],
    ["POST", "/admin/api/keys/svc/revoke?tennant=acme"],
    ["POST", "/admin/api/keys/svc/rotate?tennant=acme", { grace: "1h" }],
    ["POST", "/admin/api/keys/svc/limits?tennant=acme", { rpm: 5 }],
    ["GET", "/admin/api/tenants?tennant=acme"],
  ];
  for (const [method, path, body] of calls)
    expect([path, ...(await refusal(await call(method, path, body)))]).toEqual([
      path,
      400,
      {
        message: "tennant: unknown: nothing of that name is read here",
        type: "invalid_request_error",
        param: "tennant",
        code: "invalid_request",
      },
    ]);
  const after = (await (await call("GET", "/admin/api/keys/svc")).json()) as KeyView;
  expect([after.id, after.status, after.rpm]).toEqual([key.id, "active", null]);
});

test("include_revoked is true or false: another word is a 400 naming it, where it listed the active keys alone", async () => {
  for (const word of ["yes", "1", "TRUE", ""])
    expect(await refusal(await call("GET", `/admin/api/keys?include_revoked=${word}`))).toEqual([
      400,
      expect.objectContaining({ param: "include_revoked" }),
    ]);
  expect((await call("GET", "/admin/api/keys?include_revoked=false&limit=1")).status).toBe(200);
});

test("a query parameter given twice is a 400 naming it, where the last was read and a revoke acted on that tenant's key alone", async () => {
  const created = await Promise.all(
    ["acme", "globex"].map(
      async (tenant) =>
        (await (await call("POST", "/admin/api/keys", { name: "twice", tenant })).json()) as KeyView,
    ),
  );
  for (const [method, path] of [
    ["POST", "/admin/api/keys/twice/revoke?tenant=acme&tenant=globex"],
    ["GET", "/admin/api/keys?tenant=acme&tenant=globex"],
    ["GET", "/admin/api/audit?limit=5&limit=10"],
    ["GET", "/admin/api/tenants?tenant=acme&tenant=acme"],
  ])
    expect([path, ...(await refusal(await call(method ?? "GET", path ?? "")))]).toEqual([
      path,
      400,
      expect.objectContaining({
        param: (path ?? "").includes("limit") ? "limit" : "tenant",
        message: expect.stringContaining("given 2 times"),
      }),
    ]);
  const statuses = await Promise.all(
    created.map(
      async (key) => ((await (await call("GET", `/admin/api/keys/${key.id}`)).json()) as KeyView).status,
    ),
  );
  expect(statuses).toEqual(["active", "active"]);
  // `ids` is read as a list: each id its own.
  expect((await call("GET", `/admin/api/spend?ids=${created[0]?.id}&ids=${created[1]?.id}`)).status).toBe(
    200,
  );
});

test("a revoke's body, which it reads nothing from, is refused when it holds a field (a tenant given there, not as ?tenant=): 400 naming it, nothing revoked; none or {} still revokes", async () => {
  const key = (await (
    await call("POST", "/admin/api/keys", { name: "bodied", tenant: "globex" })
  ).json()) as KeyView;
  const answer = await call("POST", "/admin/api/keys/bodied/revoke", { tenant: "acme" });
  expect(await refusal(answer)).toEqual([
    400,
    expect.objectContaining({
      param: "tenant",
      message: "tenant: unknown: nothing of that name is read here",
    }),
  ]);
  expect(((await (await call("GET", `/admin/api/keys/${key.id}`)).json()) as KeyView).status).toBe("active");
  expect((await call("POST", "/admin/api/keys/bodied/revoke", {})).status).toBe(200);
  const second = (await (await call("POST", "/admin/api/keys", { name: "bare" })).json()) as KeyView;
  expect((await call("POST", `/admin/api/keys/${second.id}/revoke`)).status).toBe(200);
});
