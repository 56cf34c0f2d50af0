// Starts Swagger UI on /schema from our own copy of swagger-ui-dist: no inline script, no CDN.

interface SwaggerUIBundleType {
  (options: Record<string, unknown>): unknown;
  presets: { apis: unknown };
  SwaggerUIStandalonePreset: unknown;
}

declare global {
  interface Window {
    SwaggerUIBundle?: SwaggerUIBundleType;
  }
}

const container = document.getElementById("swagger-container");
const bundle = window.SwaggerUIBundle;
if (container && bundle) {
  bundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    // Deep links put an anchor inside each operation's toggle button (nested interactive
    // elements, which screen readers cannot reach).
    deepLinking: false,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [bundle.presets.apis, bundle.SwaggerUIStandalonePreset],
  });
}

export {};
