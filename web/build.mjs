// Builds each browser app under src/<app>/ into <out>/<app>/ for the gateway to serve from the
// classpath (web/<app>/...): main.js is bundled and minified by esbuild into app.js (one file, no
// inline script, so the pages' Content-Security-Policy can stay 'self' only); every other file
// (index.html, *.css, images) is copied as it is. <out> is MALIPO_WEB_OUT, by default Maven's
// target/classes/web, so the packaged jar carries the pages.
import { build } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const here = import.meta.dirname;
const sources = join(here, 'src');
const out = resolve(process.env.MALIPO_WEB_OUT ?? join(here, '..', 'target', 'classes', 'web'));

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const apps = existsSync(sources)
  ? readdirSync(sources).filter((name) => statSync(join(sources, name)).isDirectory())
  : [];
for (const app of apps) {
  const from = join(sources, app);
  const to = join(out, app);
  cpSync(from, to, { recursive: true, filter: (path) => !path.endsWith('.js') || statSync(path).isDirectory() });
  if (existsSync(join(from, 'main.js'))) {
    await build({
      entryPoints: [join(from, 'main.js')],
      outfile: join(to, 'app.js'),
      bundle: true,
      minify: true,
      format: 'esm',
      target: ['chrome100', 'safari15', 'firefox100'],
      legalComments: 'none',
      logLevel: 'warning',
    });
  }
  console.log(`built ${app} -> ${to}`);
}
