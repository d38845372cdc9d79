// The declarations of the swagger-ui-dist file imports below, carried with this file: a project
// that type-checks the gateway from its own tsconfig (an embedder) does not include ours.
/// <reference path="./swagger-ui-assets.d.ts" />
import { Elysia } from "elysia";
import css from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import bundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import packageJson from "../../../package.json" with { type: "json" };
import type { Config } from "../../config/config-schema.ts";
import { withRequestId } from "../request-id.ts";
import { DOCS_INIT_SCRIPT, DOCS_PAGE, DOCS_SECURITY_HEADERS } from "./docs-page.ts";
import type { openApiDocument } from "./openapi-document.ts";
import { type MountedConfig, servedSurfaceOf } from "./served-surface.ts";

/**
 * The document's builder, loaded with the first request for it: its schemas (every route's body,
 * the admin API's, the worker protocol's) are objects a gateway never asked for its document
 * need not hold (~0.5 MB of heap at idle; docs/BENCHMARKS-HISTORY.md, session 40).
 */
/**
 * The document's `info.version`: the package's version alone, never the build it came from
 * (`0.1.0+<commit>`, core/build-commit.ts). The document is served to anyone who reaches the port;
 * the exact build, which tells an attacker which fixes it lacks, is an admin's to read
 * (`/admin/api/status`'s `release`).
 */
const PUBLIC_VERSION = packageJson.version;

const documentBuilder = (): typeof openApiDocument =>
  (require("./openapi-document.ts") as typeof import("./openapi-document.ts")).openApiDocument;

/**
 * `/docs` (the page), `/docs/openapi.json` (OpenAPI 3.1 of what `mounted` mounts, its examples
 * naming the models of the config version in force, `models`) and the page's three assets; no
 * credential needed. Each with the console's kind of security headers (docs-page.ts).
 */
export function docsRoutes(mounted: MountedConfig, models: () => Config["models"]) {
  // Built on the first request, not at start: the document and Swagger UI's files (served
  // from the binary as files, never held as strings) cost a gateway that is never asked for
  // them no memory (docs/BENCHMARKS-HISTORY.md, idle RSS). Built again at the first request after
  // a reload: its routes are mounted once (served-surface.ts), but its examples name configured
  // models, which a reload may take away (a model left there would be a 404 to "Try it out", a
  // model moved to a tenant named to every reader).
  let document: { readonly of: Config["models"]; readonly text: string } | undefined;
  const cache = { ...DOCS_SECURITY_HEADERS, "cache-control": "public, max-age=3600" };
  // Static, for no caller: no audit row or access line (as `/healthz`), but an `x-request-id`.
  return new Elysia()
    .get(
      "/docs",
      ({ request }) =>
        new Response(DOCS_PAGE, {
          headers: withRequestId(request, {
            ...DOCS_SECURITY_HEADERS,
            "content-type": "text/html; charset=utf-8",
          }),
        }),
    )
    .get("/docs/openapi.json", ({ request }) => {
      const inForce = models();
      if (document?.of !== inForce) {
        const surface = servedSurfaceOf({ ...mounted, models: inForce });
        document = { of: inForce, text: JSON.stringify(documentBuilder()(PUBLIC_VERSION, surface)) };
      }
      return new Response(document.text, {
        headers: withRequestId(request, { ...DOCS_SECURITY_HEADERS, "content-type": "application/json" }),
      });
    })
    .get(
      "/docs/swagger-init.js",
      ({ request }) =>
        new Response(DOCS_INIT_SCRIPT, {
          headers: withRequestId(request, { ...cache, "content-type": "text/javascript; charset=utf-8" }),
        }),
    )
    .get(
      "/docs/swagger-ui.css",
      ({ request }) =>
        new Response(Bun.file(css), {
          headers: withRequestId(request, { ...cache, "content-type": "text/css; charset=utf-8" }),
        }),
    )
    .get(
      "/docs/swagger-ui-bundle.js",
      ({ request }) =>
        new Response(Bun.file(bundle), {
          headers: withRequestId(request, { ...cache, "content-type": "text/javascript; charset=utf-8" }),
        }),
    );
}
