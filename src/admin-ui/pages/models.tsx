/** @jsxImportSource preact */
import { getJson } from "../api.ts";
import { Failure } from "../components/failure.tsx";
import { configFile } from "../config-file.ts";
import { ms, sampleRate } from "../format.ts";
import { useLoad } from "../hooks.ts";
import { priceColumns } from "../price-columns.ts";
import { scrollRegion } from "../scroll-region.ts";
import { staleNote } from "../stale-note.ts";
import type { RoutingView } from "../views.ts";
import { workerOnlyModels } from "../worker-only-models.ts";

/** The resolved routing table, providers and prices; read-only (the config file is the source). */
export function ModelsPage() {
  const routing = useLoad(() => getJson<RoutingView>("/admin/api/routing"), [], 10_000);
  const r = routing.data;
  const stale = staleNote(routing);
  const extraRates = r ? priceColumns(r.prices) : [];
  return (
    <section aria-labelledby="models-title">
      <div class="page-head">
        <h1 id="models-title">Models and providers</h1>
        {r && (
          <span class="muted">
            {configFile(r.config)} · version {r.config.version}
          </span>
        )}
      </div>
      <Failure error={routing.error} />
      {r && (
        <>
          <div class="card">
            <h2>Routing table</h2>
            {stale && (
              <p class="muted small" data-stale={stale}>
                Route health {stale}: the last refresh failed.
              </p>
            )}
            <div {...scrollRegion("Routing table")} class="scroll">
              <table>
                <thead>
                  <tr>
                    <th>Model</th>
                    <th>Strategy</th>
                    <th>Routes (in order)</th>
                    <th class="wide">Shadow</th>
                  </tr>
                </thead>
                <tbody>
                  {r.models.map((m) => (
                    <tr key={m.name}>
                      <td>
                        <code>{m.name}</code>
                        {m.aliases?.length ? (
                          <div class="muted small">aliases: {m.aliases.join(", ")}</div>
                        ) : null}
                      </td>
                      <td>{m.strategy}</td>
                      <td>
                        <ol class="routes">
                          {m.routes.map((route) => (
                            <li key={`${route.provider}/${route.model}`}>
                              <span
                                class={`badge ${route.health.open ? "bad" : "good"}${stale ? " stale" : ""}`}
                                title={stale ?? undefined}
                              >
                                {route.health.open ? "open" : "ok"}
                              </span>{" "}
                              {route.provider}/{route.model}
                              {m.strategy === "weighted" && <span class="muted"> ×{route.weight}</span>}
                              {(route.health.latencyMs ?? 0) > 0 && (
                                <span class="muted"> · {ms(route.health.latencyMs)}</span>
                              )}
                            </li>
                          ))}
                        </ol>
                      </td>
                      <td class="wide">
                        {m.shadow
                          ? `${m.shadow.provider}/${m.shadow.model} (${sampleRate(m.shadow.sample)})`
                          : "–"}
                      </td>
                    </tr>
                  ))}
                  {workerOnlyModels(r).map((name) => (
                    <tr key={`w-${name}`}>
                      <td>
                        <code>{name}</code>
                      </td>
                      <td>priority</td>
                      <td>connected workers</td>
                      <td class="wide">–</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <div class="two">
            <div class="card">
              <h2>Providers</h2>
              <table>
                <thead>
                  <tr>
                    <th>Name</th>
                    <th>Type</th>
                    <th>Base URL</th>
                  </tr>
                </thead>
                <tbody>
                  {r.providers.map((p) => (
                    <tr key={p.name}>
                      <td>{p.name}</td>
                      <td>{p.type}</td>
                      <td class="break">{p.base_url ?? "–"}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div class="card">
              <h2>Prices (USD per million tokens)</h2>
              {Object.keys(r.prices).length === 0 ? (
                <p class="muted">No prices configured: cost is recorded as 0.</p>
              ) : (
                <div {...scrollRegion("Prices")} class="scroll">
                  <table>
                    <thead>
                      <tr>
                        <th>Model</th>
                        <th class="num">Input</th>
                        <th class="num">Output</th>
                        {extraRates.map((column) => (
                          <th key={column.rate} class="num">
                            {column.label}
                          </th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {Object.entries(r.prices).map(([model, price]) => (
                        <tr key={model}>
                          <td>
                            <code>{model}</code>
                          </td>
                          <td class="num">{price.input_per_mtok}</td>
                          <td class="num">{price.output_per_mtok}</td>
                          {extraRates.map(({ rate }) => (
                            <td key={rate} class="num" data-rate={rate}>
                              {price[rate] ?? "–"}
                            </td>
                          ))}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
