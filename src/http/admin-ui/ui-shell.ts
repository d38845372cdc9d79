import type { UiBundle } from "./ui-assets.ts";

/**
 * No inline script or style anywhere, nothing from another origin: the page runs only the
 * bundle compiled into the executable and talks only to this gateway.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CONTENT_SECURITY_POLICY,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
};

/** The one HTML page; the script draws every view (the path picks which). */
export function uiShell(bundle: UiBundle): string {
  const styles = bundle.styles.map((name) => `<link rel="stylesheet" href="/admin/assets/${name}">`).join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>mindgw admin</title><link rel="icon" href="data:,">${styles}
<script type="module" src="/admin/assets/${bundle.script}"></script></head>
<body><div id="app"></div></body></html>`;
}
