import { z } from "zod";

/**
 * A Messages request's `stream`: a boolean, or absent. Not null, as Anthropic's API types it
 * (`stream?: boolean`; its SDKs leave it out rather than send null); the front door's validation,
 * the OpenAPI document (http/request-schemas.ts) and the translation read this one schema, so a
 * body one of them takes none refuses. In a file of its own: the front door builds it at load,
 * for every Messages body, while the rest of the Messages schemas wait for a first translation
 * (anthropic-schema.ts).
 */
export const anthropicStream = z
  .boolean({ error: "stream must be a boolean" })
  .optional()
  .meta({ description: "Stream the answer as server-sent events." });
