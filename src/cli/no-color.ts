/**
 * Turns colour off for the terminal view when `NO_COLOR` asks (https://no-color.org: present and
 * not empty, whatever its value). ink colours through chalk, which reads `FORCE_COLOR` but never
 * `NO_COLOR` (chalk/supports-color#74, #105), and reads it once, when first imported: so this runs
 * before the view is loaded, and says it in chalk's own words, `FORCE_COLOR=0`. A `FORCE_COLOR`
 * already set is the operator's choice for chalk, and wins.
 */
export function honourNoColor(env: Record<string, string | undefined> = process.env): void {
  if (env.NO_COLOR && env.FORCE_COLOR === undefined) env.FORCE_COLOR = "0";
}
