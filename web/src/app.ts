// The dashboard's only script. Every page works without it; it adds the interactive chart and
// changes a metric page's range in place (fetching the server-rendered page, not JSON).
import type uPlot from "uplot";

import { drawChart } from "./chart";
import { readSeries } from "./series";

let chart: uPlot | undefined;

function startChart(root: ParentNode): void {
  const container = root.querySelector<HTMLElement>("[data-chart]");
  const island = root.querySelector<HTMLElement>("#series-data");
  if (!container || !island) {
    return;
  }
  chart?.destroy();
  chart = drawChart(container, readSeries(island));
}

/** Swaps the metric view for the one the server renders at `url`, then redraws the chart. */
async function showRange(url: URL): Promise<void> {
  const view = document.querySelector<HTMLElement>("[data-metric-view]");
  if (!view) {
    window.location.assign(url);
    return;
  }
  view.setAttribute("aria-busy", "true");
  try {
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    if (!response.ok || response.redirected) {
      // Errors and expired sessions are pages of their own: show them as the server meant.
      window.location.assign(url);
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const next = page.querySelector<HTMLElement>("[data-metric-view]");
    if (!next) {
      window.location.assign(url);
      return;
    }
    const draws = document.querySelector<HTMLElement>("[data-chart]")?.dataset.draws;
    chart?.destroy();
    chart = undefined;
    view.replaceWith(next);
    const container = next.querySelector<HTMLElement>("[data-chart]");
    if (container && draws) {
      container.dataset.draws = draws;
    }
    document.title = page.title;
    window.history.pushState({}, "", url);
    startChart(next);
    next.querySelector<HTMLElement>("h1")?.focus({ preventScroll: true });
  } finally {
    view.removeAttribute("aria-busy");
  }
}

function sameOriginUrl(href: string): URL | undefined {
  const url = new URL(href, window.location.href);
  return url.origin === window.location.origin ? url : undefined;
}

function onClick(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey) {
    return;
  }
  const link = (event.target as Element | null)?.closest<HTMLAnchorElement>("a[data-range-link]");
  const url = link ? sameOriginUrl(link.href) : undefined;
  if (url) {
    event.preventDefault();
    void showRange(url);
  }
}

function onSubmit(event: SubmitEvent): void {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.matches("form[data-range-form]")) {
    return;
  }
  const url = sameOriginUrl(form.action);
  if (!url) {
    return;
  }
  event.preventDefault();
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) {
    if (typeof value === "string" && value !== "") {
      query.append(key, value);
    }
  }
  url.search = query.toString();
  void showRange(url);
}

document.addEventListener("click", onClick);
document.addEventListener("submit", onSubmit);
window.addEventListener("popstate", () => {
  void showRange(new URL(window.location.href));
});
startChart(document);
