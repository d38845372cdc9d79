/** Light, dark, or whatever the system prefers; the choice (not a secret) is remembered. */
export type Theme = "auto" | "light" | "dark";
const KEY = "mindgw.theme";

export function loadTheme(): Theme {
  const saved = localStorage.getItem(KEY);
  return saved === "light" || saved === "dark" ? saved : "auto";
}

export function applyTheme(theme: Theme): void {
  if (theme === "auto") {
    document.documentElement.removeAttribute("data-theme");
    localStorage.removeItem(KEY);
  } else {
    document.documentElement.setAttribute("data-theme", theme);
    localStorage.setItem(KEY, theme);
  }
}
