import { expect, test } from "bun:test";
import { AllowedMethods } from "./allowed-methods.ts";

test("the methods routed at a path: literal segments, :params, a last * for the rest, HEAD beside GET, WebSocket upgrades as GET alone", () => {
  const allowed = new AllowedMethods([
    { method: "POST", path: "/v1/chat/completions" },
    { method: "GET", path: "/v1/models" },
    { method: "GET", path: "/v1/models/*" },
    { method: "GET", path: "/admin/api/keys/" },
    { method: "POST", path: "/admin/api/keys/" },
    { method: "GET", path: "/admin/api/keys/:id" },
    { method: "POST", path: "/admin/api/keys/:id/revoke" },
    { method: "POST", path: "/v1/responses" },
    { method: "WS", path: "/v1/responses" },
    { method: "GET", path: "/v1/responses/:id" },
    { method: "DELETE", path: "/v1/responses/:id" },
  ]);
  const cases: [string, string[]][] = [
    ["/v1/chat/completions", ["POST"]],
    ["/v1/chat/completions/", ["POST"]],
    ["/v1/models", ["GET", "HEAD"]],
    ["/v1/models/meta-llama/Llama-3.1-8B", ["GET", "HEAD"]],
    ["/admin/api/keys", ["GET", "HEAD", "POST"]],
    ["/admin/api/keys/key_1", ["GET", "HEAD"]],
    ["/admin/api/keys/key_1/revoke", ["POST"]],
    ["/admin/api/keys/key_1/nope", []],
    ["/v1/responses", ["GET", "POST"]],
    ["/v1/responses/resp_1", ["DELETE", "GET", "HEAD"]],
    ["/v1/chat", []],
    ["/", []],
  ];
  for (const [path, methods] of cases) expect([path, allowed.of(path)]).toEqual([path, methods]);
});
