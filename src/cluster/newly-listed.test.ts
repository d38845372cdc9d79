import { describe, expect, test } from "bun:test";
import { NewlyListed } from "./newly-listed.ts";
import type { NodeEntry } from "./node-entry.ts";

type Listed = NodeEntry["workers"][number];

const worker = (name: string, models: string[], extra: Partial<Listed> = {}): Listed => ({
  name,
  tenant: "default",
  models,
  inFlight: 0,
  capacity: 4,
  ...extra,
});
const node = (id: string, workers: Listed[]): NodeEntry => ({ id, url: `http://${id}`, at: 0, workers });

describe("what other nodes' workers newly serve, read from the directory", () => {
  test("a worker new to the directory serves its models newly, once: a renewal listing it alike serves nothing new", () => {
    const newly = new NewlyListed();
    expect(newly.read([node("n1", [worker("bad", ["m"])])])).toEqual([
      { node: "n1", worker: "bad", tenant: "default", models: ["m"] },
    ]);
    expect(newly.read([node("n1", [worker("bad", ["m"])])])).toEqual([]);
    // Another worker for m, on the same node: a way to serve m that m's breaker has not tried.
    const both = [node("n1", [worker("bad", ["m"]), worker("good", ["m", "k"])])];
    expect(newly.read(both)).toEqual([{ node: "n1", worker: "good", tenant: "default", models: ["m", "k"] }]);
    expect(newly.read(both)).toEqual([]);
  });

  test("a worker that reconnects over and over serves its models newly once a registration the directory reads, never at the reads between", () => {
    const newly = new NewlyListed();
    const listed = [node("n1", [worker("flappy", ["m"])])];
    const gone = [node("n1", [])];
    const seen = [listed, listed, gone, listed, listed, listed, gone, listed].map((read) => newly.read(read));
    expect(seen.map((found) => found.length)).toEqual([1, 0, 0, 1, 0, 0, 0, 1]);
  });

  test("a worker replacing its own connection between two reads, or one that drains, serves nothing new; one whose key was widened serves what it adds", () => {
    const newly = new NewlyListed();
    newly.read([node("n1", [worker("w", ["m"])])]);
    expect(newly.read([node("n1", [worker("w", ["m"], { inFlight: 2 })])])).toEqual([]);
    expect(newly.read([node("n1", [worker("w", ["m", "k"])])])).toEqual([
      { node: "n1", worker: "w", tenant: "default", models: ["k"] },
    ]);
    expect(newly.read([node("n1", [worker("w", ["m", "k"], { draining: true })])])).toEqual([]);
    // The same name on another node is another worker (one that moved when its node stopped).
    expect(newly.read([node("n2", [worker("w", ["m"])])])).toEqual([
      { node: "n2", worker: "w", tenant: "default", models: ["m"] },
    ]);
    // A listing an older node wrote without its tenant is the default tenant's worker.
    expect(newly.read([node("n3", [worker("old", ["m"], { tenant: undefined })])])).toEqual([
      { node: "n3", worker: "old", tenant: "default", models: ["m"] },
    ]);
  });
});
