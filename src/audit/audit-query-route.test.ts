import { expect, test } from "bun:test";
import { forwardedPrefix, routeMatches } from "./audit-query-route.ts";

test("`worker:<name>` selects the worker wherever it served; a node named, or a provider, only itself", () => {
  const routes = ["worker:w1", "worker:w1@a", "worker:w1@b", "worker:w10@a", "provider:w1", null];
  const selected = (filter: string) => routes.filter((route) => routeMatches(filter, route));
  expect(selected("worker:w1")).toEqual(["worker:w1", "worker:w1@a", "worker:w1@b"]);
  expect(selected("worker:w1@a")).toEqual(["worker:w1@a"]);
  expect(selected("provider:w1")).toEqual(["provider:w1"]);
  expect(selected("worker:w")).toEqual([]);
  expect([
    forwardedPrefix("worker:w1"),
    forwardedPrefix("worker:w1@a"),
    forwardedPrefix("provider:p"),
  ]).toEqual(["worker:w1@", undefined, undefined]);
});
