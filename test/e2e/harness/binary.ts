import { existsSync } from "node:fs";
import { join } from "node:path";

/** The compiled executable the e2e suites drive; `bun run test` builds it first. */
export const MINDGW = join(import.meta.dir, "../../../dist/mindgw");

export function assertBuilt(): void {
  if (!existsSync(MINDGW)) throw new Error(`${MINDGW} is missing: run \`bun run build\` first`);
}
