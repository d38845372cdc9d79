import type { JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../../translate/dropped.ts";
import type { Provider } from "../provider.ts";
import { nameMistralLeftOut } from "./mistral-left-out.ts";
import type { PresetQuirks } from "./presets.ts";
import { namedUnknownFields, nameUnknownLeftOut } from "./unknown-fields-left-out.ts";

/**
 * What a provider with `preset`'s quirks names as left out of a chat call (`Provider.leavesOut`):
 * Mistral's schema and an API version's unknown fields (Azure's before 2024-09-01-preview), both
 * where both apply. The unknown fields alone name only top-level fields (`leavesOutFields`), so a
 * call that sets none of them is not looked at: most of an old Azure version's calls.
 */
export function presetLeavesOut(
  preset: PresetQuirks | undefined,
): Pick<Provider, "leavesOut" | "leavesOutFields"> {
  const named = preset?.unknownFields ? namedUnknownFields(preset.unknownFields) : [];
  const unknown = named.length > 0 ? nameUnknownLeftOut(named) : undefined;
  if (preset?.mistralChat) return { leavesOut: unknown ? both(unknown) : nameMistralLeftOut };
  return unknown ? { leavesOut: unknown, leavesOutFields: named } : {};
}

/** Mistral's schema's namer, then the unknown fields' (made once a provider). */
const both =
  (unknown: NonNullable<Provider["leavesOut"]>) =>
  (body: JsonObject, dropped: Dropped): void => {
    nameMistralLeftOut(body, dropped);
    unknown(body, dropped);
  };
