import { z } from "zod";
import { keyViewSchema as keyViewOf } from "../../auth/key-view.ts";
import type { Answer } from "./answer-shape.ts";
import { jsonSchemaOf } from "./json-schema.ts";

// The admin API's keys, shaped by the zod schema that shapes them (auth/key-view.ts).

const keyPreviewed = {
  id: "key_xDYWeRX4bIc-",
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["gpt-*"],
  rpm: 60,
  tpm: null,
  budget_usd: null,
  key_preview: "mgw_LvXL…W0H9",
  status: "active",
  expires_at: null,
  revoked_at: null,
  created_at: "2026-12-05T18:18:20.815Z",
  last_used_at: null,
  chain: "key_xDYWeRX4bIc-",
};
const rotatedKey = {
  ...keyPreviewed,
  id: "key_RGn7xAs8VUPr",
  key_preview: "mgw_Of1T…6Ezn",
  created_at: "2026-12-05T18:30:02.104Z",
};

// Built with the document (this file is loaded with it alone): a start builds none of it.
const keyViewSchema = keyViewOf();

/** The admin API's answers about keys. */
export const KEY_ANSWERS = {
  KeyView: {
    schema: jsonSchemaOf(keyViewSchema),
    example: keyPreviewed,
  },
  CreatedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        key: z.string().meta({ description: "The plain key: in this answer only, never shown again" }),
      }),
    ),
    example: { ...keyPreviewed, key: "mgw_LvXL7BKd4zUxDhWUVxQujxxMvQW2TBBSbYPcDSOW0H9" },
  },
  RotatedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        key: z.string().meta({ description: "The new plain key: in this answer only" }),
        previous: keyViewSchema.meta({ description: "The key it replaces, valid until its `expires_at`" }),
      }),
    ),
    example: {
      ...rotatedKey,
      key: "mgw_Of1TqgllnXP8dHGCOenC2zmmOExbEjrSWbl0WNs6Ezn",
      previous: { ...keyPreviewed, expires_at: "2026-12-05T18:40:02.104Z" },
    },
  },
  RevokedKey: {
    schema: jsonSchemaOf(
      keyViewSchema.extend({
        revoked: z
          .array(keyViewSchema)
          .meta({ description: "Every key this revoked (by name: each active one)" }),
      }),
    ),
    example: {
      ...keyPreviewed,
      status: "revoked",
      revoked_at: "2026-12-05T19:02:11.500Z",
      revoked: [{ ...keyPreviewed, status: "revoked", revoked_at: "2026-12-05T19:02:11.500Z" }],
    },
  },
  KeyPage: {
    schema: jsonSchemaOf(
      z.object({
        keys: z.array(keyViewSchema),
        nextCursor: z.string().nullable().meta({ description: "Null on the last page" }),
      }),
    ),
    example: { keys: [keyPreviewed], nextCursor: null },
  },
} satisfies Record<string, Answer>;
