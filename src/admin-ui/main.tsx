/** @jsxImportSource preact */
import { render } from "preact";
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import { noteUse } from "./api.ts";
import { App } from "./app.tsx";

// Use of the page, as the idle timeout counts it (api.ts): the page's own polling is none.
for (const type of ["keydown", "pointerdown"])
  document.addEventListener(type, noteUse, { capture: true, passive: true });
window.addEventListener("popstate", noteUse);
const root = document.getElementById("app");
if (root) render(<App />, root);
