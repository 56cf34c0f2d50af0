// Builds the dashboard's assets into dist/: every file named after a hash of its content, and
// dist/manifest.json mapping each logical name (app.js) to its file (app.3f2a…c1.js). The
// service reads the manifest and serves dist/ with immutable caching, so a changed file is a
// new URL and no cache ever holds a stale one.
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");
const require = createRequire(import.meta.url);
const manifest = {};

function emit(logicalName, contents) {
  const hash = createHash("sha256").update(contents).digest("hex").slice(0, 16);
  const dot = logicalName.lastIndexOf(".");
  const fileName = `${logicalName.slice(0, dot)}.${hash}${logicalName.slice(dot)}`;
  writeFileSync(join(dist, fileName), contents);
  manifest[logicalName] = fileName;
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// The client scripts: TypeScript bundled with uPlot, minified, as ES modules.
const scripts = await esbuild.build({
  entryPoints: { app: join(here, "src/app.ts"), "swagger-init": join(here, "src/swagger-init.ts") },
  bundle: true,
  minify: true,
  format: "esm",
  target: ["es2022"],
  write: false,
  outdir: dist,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of scripts.outputFiles) {
  emit(file.path.slice(dist.length + 1), file.contents);
}

// The stylesheet: Tailwind's CLI (v4, configured in the stylesheet itself) with uPlot's CSS.
const cssOutput = join(dist, ".app.css");
execFileSync(
  join(here, "node_modules/.bin/tailwindcss"),
  ["--input", join(here, "src/styles.css"), "--output", cssOutput, "--minify"],
  // Its banner goes to stderr; a failure still shows it, through the thrown error.
  { cwd: here, stdio: ["ignore", "ignore", "pipe"] },
);
emit("app.css", readFileSync(cssOutput));
rmSync(cssOutput);

emit("favicon.svg", readFileSync(join(here, "src/favicon.svg")));
emit("swagger-overrides.css", readFileSync(join(here, "src/swagger-overrides.css")));

// Swagger UI for /schema, from the npm package rather than a CDN.
const swagger = dirname(require.resolve("swagger-ui-dist/package.json"));
for (const name of ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]) {
  emit(name, readFileSync(join(swagger, name)));
}

writeFileSync(join(dist, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`built ${Object.keys(manifest).length} assets into dist/`);
