import { OFF_CLOUD_ENV } from "./off-cloud-env.ts";

// Preloaded for every `bun test` process (bunfig.toml): the test process's own environment is the
// off-cloud one, so an in-process gateway reads it and every child spawned on `process.env` (the
// harness's gateways, workers, CLI runs) inherits it (test/suite-rules.test.ts checks both).
Object.assign(process.env, OFF_CLOUD_ENV);
