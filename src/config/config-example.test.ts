import { expect, test } from "bun:test";
import { join } from "node:path";
import { configSchema } from "./config-schema.ts";
import { loadConfigFile } from "./load-config.ts";

// config.example.yaml documents every option: it must stay valid, and name every section.
const EXAMPLE = join(import.meta.dir, "../../config.example.yaml");

test("config.example.yaml is a valid config", async () => {
  const config = await loadConfigFile(EXAMPLE, {});
  expect(config.models.map((m) => m.name)).toContain("mock");
});

test("config.example.yaml mentions every top-level section and every option of the simple ones", async () => {
  const text = await Bun.file(EXAMPLE).text();
  for (const section of Object.keys(configSchema.shape)) expect(text).toContain(`${section}:`);
  const parsed = configSchema.parse({});
  for (const section of ["server", "storage", "routing", "audit", "workers"] as const) {
    for (const option of Object.keys(parsed[section])) expect(text).toContain(`${option}:`);
  }
});
