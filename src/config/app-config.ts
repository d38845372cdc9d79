import { z } from "zod";
import { MAX_APP_NAME } from "../audit/audit-query-schema.ts";
import { shadowTargetSchema } from "./shadow-target.ts";

/** Paths the gateway itself owns; an app cannot be mounted over them. */
export const RESERVED_PATHS = [
  "/v1",
  "/admin",
  "/workers",
  "/healthz",
  "/readyz",
  "/metrics",
  "/docs",
] as const;

/**
 * One app: a front door mounted under a path prefix. The OpenAI SDK's `baseURL` is then
 * `http://gw{path}/v1`, the Anthropic SDK's `http://gw{path}`.
 */
export const appSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_.-]*$/i, "letters, digits, '.', '_' and '-' only")
    .max(MAX_APP_NAME, `at most ${MAX_APP_NAME} characters, as the audit's ?app= and --app filters take`),
  frontdoor: z.enum(["openai", "anthropic"]),
  path: z
    .string()
    .regex(
      /^(\/[a-z0-9][a-z0-9_.-]*)+$/i,
      'a path like "/openai" or "/team-a/anthropic" (no trailing slash)',
    ),
  /** Model globs callable through this app (on top of the caller's own). Default: all. */
  models: z.array(z.string().min(1)).default(["*"]),
  /** Only callers of this tenant may use the app. */
  tenant: z.string().optional(),
  /** Shadows requests through this app here, in place of the tenant's or the model's shadow. */
  shadow: shadowTargetSchema.optional(),
});

/** Read at start: mounting is fixed for the process (an edit takes effect at the next restart). */
export const appsSchema = z.array(appSchema).default([]);

export type AppConfig = z.infer<typeof appSchema>;
