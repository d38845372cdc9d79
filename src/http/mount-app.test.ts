import { expect, test } from "bun:test";
import type { Dialect } from "../core/dialect.ts";
import { type AppMount, unknownPathMessage } from "./mount-app.ts";

const app = (i: number, dialect: Dialect = "openai"): AppMount => ({
  name: `app-${i}`,
  path: `/app-${i}`,
  dialect,
  serveModel: () => Promise.reject(new Error("not here")),
  listModels: () => Promise.reject(new Error("not here")),
  retrieveModel: () => Promise.reject(new Error("not here")),
});

test("a path at the root names the apps mounted, five at most and how many more", () => {
  expect(unknownPathMessage([app(1), app(2, "anthropic")], undefined, "POST", "/v1/chat/completions")).toBe(
    "no route for POST /v1/chat/completions: model APIs are served only under the apps mounted at /app-1 (openai), /app-2 (anthropic)",
  );
  const many = Array.from({ length: 500 }, (_, i) => app(i));
  const message = unknownPathMessage(many, undefined, "POST", "/v1/chat/completions");
  expect(message).toEndWith("/app-4 (openai) and 495 more (GET /docs lists them)");
  expect(message.length).toBeLessThan(300);
});

test("a path outside the model APIs is plainly not found, with no word of the apps: an admin API, a probe, the docs", () => {
  const mounts = [app(1), app(2, "anthropic")];
  for (const path of ["/admin/api/nope", "/healthz/x", "/docs/nope", "/v1beta/models", "/"])
    expect(unknownPathMessage(mounts, undefined, "GET", path)).toBe(`no route for GET ${path}`);
  // A model API's path, at the root or under a prefix no app has (a wrong baseURL), says where they are.
  for (const path of ["/v1", "/v1/models", "/nope/v1/chat/completions"])
    expect(unknownPathMessage(mounts, undefined, "GET", path)).toEndWith(
      "model APIs are served only under the apps mounted at /app-1 (openai), /app-2 (anthropic)",
    );
});

test("a long path is quoted cut, at 256 characters and an ellipsis, with or without apps", () => {
  const path = `/v1/${"a-".repeat(8_000)}`;
  const cut = `${path.slice(0, 256)}…`;
  expect(unknownPathMessage([], undefined, "GET", path)).toBe(`no route for GET ${cut}`);
  expect(unknownPathMessage([app(1)], undefined, "GET", path)).toStartWith(
    `no route for GET ${cut}: model APIs`,
  );
  expect(unknownPathMessage([app(1)], app(1), "GET", `/app-1${path}`)).toBe(
    `no route for GET ${`/app-1${path}`.slice(0, 256)}… in app "app-1" (openai API at /app-1/v1/...)`,
  );
});
