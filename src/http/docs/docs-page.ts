import { SECURITY_HEADERS } from "../admin-ui/ui-shell.ts";

/**
 * The page that loads Swagger UI (from this binary, never a CDN) on our own document. No inline
 * script: the initialiser is a file of its own, `/docs/swagger-init.js`, so the policy below can
 * refuse every inline script, as the console's does.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mindgw API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/swagger-init.js"></script>
</body>
</html>
`;

export const DOCS_INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: "/docs/openapi.json",
  dom_id: "#docs",
  deepLinking: true,
  validatorUrl: null,
  tryItOutEnabled: false,
  persistAuthorization: false,
});
`;

/**
 * The console's headers (ui-shell.ts), its policy as it is: scripts and styles only from this
 * origin, none inline, requests ("Try it out") only to it, never framed. `/docs` shares its origin
 * with the console, whose session cookie a framed or injected page could ride. Swagger UI runs
 * under it (test/e2e/observability-docs.test.ts).
 */
export const DOCS_SECURITY_HEADERS: Record<string, string> = SECURITY_HEADERS;
