import { expect, test } from "bun:test";
import { join } from "node:path";
import { buildUi } from "./build-ui.ts";

const DOC = join(import.meta.dir, "../../../docs/ADMIN-UI.md");

/** How far a stated "≈N KB" may be from the build's size, in KB: the figures round, and drift a little. */
const SLACK_KB = 2;

const kb = (bytes: number) => bytes / 1000;
const sizes = (bodies: readonly string[]) => ({
  minified: kb(bodies.reduce((sum, body) => sum + Buffer.byteLength(body), 0)),
  gzipped: kb(bodies.reduce((sum, body) => sum + Bun.gzipSync(Buffer.from(body)).length, 0)),
});

test("docs/ADMIN-UI.md states the bundle's size as the build makes it: the script, the stylesheet, both", async () => {
  const assets = await buildUi();
  const of = (type: string) => assets.filter((a) => a.contentType.startsWith(type)).map((a) => a.body);
  const built = {
    script: sizes(of("text/javascript")),
    stylesheet: sizes(of("text/css")),
    total: sizes(assets.map((a) => a.body)),
  };
  const doc = await Bun.file(DOC).text();
  const stated = (pattern: RegExp) => {
    const found = doc.match(pattern);
    if (!found) throw new Error(`docs/ADMIN-UI.md no longer says ${pattern}`);
    return { minified: Number(found[1]), gzipped: Number(found[2]) };
  };
  const said = {
    script: stated(/one script \(≈(\d+) KB minified, ≈(\d+) KB gzipped/),
    stylesheet: stated(/one stylesheet \(≈(\d+) KB, ≈(\d+) KB gzipped\)/),
    total: stated(/\*\*≈(\d+) KB, ≈(\d+) KB gzipped\*\*/),
  };
  const far: string[] = [];
  for (const part of ["script", "stylesheet", "total"] as const)
    for (const form of ["minified", "gzipped"] as const)
      if (Math.abs(said[part][form] - built[part][form]) > SLACK_KB)
        far.push(
          `${part} ${form}: the doc says ≈${said[part][form]} KB, the build ${built[part][form].toFixed(1)} KB`,
        );
  expect(far).toEqual([]);
});
