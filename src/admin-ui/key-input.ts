/** The new-key form's fields, as typed. */
export interface KeyFormFields {
  name: string;
  role: string;
  tenant: string;
  models: string;
  rpm: string;
  tpm: string;
  budget_usd: string;
  expires_in: string;
}

const LIMITS = [
  { field: "rpm", label: "Requests/min", pattern: /^\d+$/, expected: "a whole number above 0, like 60" },
  { field: "tpm", label: "Tokens/min", pattern: /^\d+$/, expected: "a whole number above 0, like 10000" },
  {
    field: "budget_usd",
    label: "Budget (USD)",
    pattern: /^\d+(\.\d+)?$/,
    expected: "a dollar amount above 0, like 5 or 2.50",
  },
] as const;

/** The change-limits form's fields, as typed (filled with what the key has now). */
export type LimitsFormFields = Pick<KeyFormFields, "models" | "rpm" | "tpm" | "budget_usd">;

type Limit = (typeof LIMITS)[number]["field"];

/**
 * The limits a form holds: each one typed as a number, an empty one left out. One that is not a
 * plain positive number ("$5", "60/min", "10k") is refused here, never sent as a number it is not
 * (`Number("$5")` is NaN, which JSON sends as null: no limit).
 */
function typedLimits(form: LimitsFormFields): { limits: Partial<Record<Limit, number>> } | { error: string } {
  const limits: Partial<Record<Limit, number>> = {};
  for (const { field, label, pattern, expected } of LIMITS) {
    const text = form[field].trim();
    if (!text) continue;
    const value = Number(text);
    if (!pattern.test(text) || !(value > 0))
      return { error: `${label}: "${text}" is not ${expected} (leave it empty for no limit)` };
    limits[field] = value;
  }
  return { limits };
}

const modelGlobs = (text: string) =>
  text
    .split(",")
    .map((m) => m.trim())
    .filter(Boolean);

/** The body of `POST /admin/api/keys`, or what is wrong with the form. A limit left empty is left out (no limit). */
export function keyInput(form: KeyFormFields): { input: Record<string, unknown> } | { error: string } {
  const typed = typedLimits(form);
  if ("error" in typed) return typed;
  const input: Record<string, unknown> = {
    name: form.name.trim(),
    role: form.role,
    models: modelGlobs(form.models),
  };
  // Left empty, the gateway puts the key in the signed-in admin's own tenant (or none).
  if (form.tenant.trim()) input.tenant = form.tenant.trim();
  Object.assign(input, typed.limits);
  if (form.expires_in.trim()) input.expires_in = form.expires_in.trim();
  return { input };
}

/**
 * The body of `POST /admin/api/keys/{id}/limits`, or what is wrong with the form: only what the
 * admin changed from what the form first showed (`shown`) is sent, a limit emptied as null
 * (lifted). What it left alone is not sent back as it was read: another admin's change made
 * meanwhile to another field stands. Nor is it checked: a limit the gateway holds as the form
 * cannot type it (a budget below a millionth of a dollar reads "1e-7") never blocks another change.
 */
export function limitsInput(
  form: LimitsFormFields,
  shown: LimitsFormFields,
): { input: Record<string, unknown> } | { error: string } {
  const edited = { ...form };
  for (const { field } of LIMITS) if (form[field].trim() === shown[field].trim()) edited[field] = "";
  const typed = typedLimits(edited);
  if ("error" in typed) return typed;
  const input: Record<string, unknown> = {};
  const models = modelGlobs(form.models);
  if (models.join(",") !== modelGlobs(shown.models).join(",")) input.models = models;
  for (const { field } of LIMITS)
    if (form[field].trim() !== shown[field].trim()) input[field] = typed.limits[field] ?? null;
  if (Object.keys(input).length === 0) return { error: "Nothing changed: the key already has these limits" };
  return { input };
}
