import { afterAll } from "bun:test";
import { endAll } from "./left-behind.ts";

// Preloaded (bunfig.toml, after shared-postgres.ts, whose stop comes first: preloaded hooks run in
// their order), this runs once, after the run's last file. Its own file because afterAll throws
// outside `bun test`, and benchmarks import the harness that registers what this ends.
afterAll(endAll);
