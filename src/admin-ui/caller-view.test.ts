import { expect, test } from "bun:test";
import { callerView } from "./caller-view.ts";

test("a key by its name, a JWT subject by its name and tenant, a single sign-on user by name; each with its id", () => {
  expect(callerView("key_1aqZMUiq8MnU", "alice")).toEqual({
    name: "alice",
    kind: "key",
    id: "key_1aqZMUiq8MnU",
  });
  expect(callerView("jwt:acme:alice", "alice")).toEqual({
    name: "alice",
    kind: "JWT, tenant acme",
    id: "jwt:acme:alice",
  });
  // A name claim spelt as another subject's id stays that subject's name, in its own tenant.
  expect(callerView("jwt:default:jwt:acme:ceo", "jwt:acme:ceo")).toEqual({
    name: "jwt:acme:ceo",
    kind: "JWT, tenant default",
    id: "jwt:default:jwt:acme:ceo",
  });
  expect(callerView("session:default:ops@example.com", "ops@example.com")).toEqual({
    name: "ops@example.com",
    kind: "single sign-on",
    id: "session:default:ops@example.com",
  });
});

test("a row without an id shows its name and no kind (nothing to filter by); one naming nobody, nothing", () => {
  expect(callerView(null, "alice")).toEqual({ name: "alice", kind: null, id: null });
  expect(callerView(null, null)).toBeNull();
  // An embedder's principal without a key id (`key:<tenant>:<name>`): its name, kind unknown.
  expect(callerView("key:acme:svc", null)).toEqual({ name: "svc", kind: null, id: "key:acme:svc" });
});
