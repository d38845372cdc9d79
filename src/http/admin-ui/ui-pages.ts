/** The UI's pages, by path under `/admin`; shared by the server (which serves the shell) and the UI. */
export const UI_PAGES = ["overview", "requests", "workers", "keys", "models", "shadow", "activity"] as const;
export type UiPage = (typeof UI_PAGES)[number];
