/**
 * The review pages under /-/cordon/: one HTML shell for the queue, package, review, audit and enrollment
 * pages (the script renders them from the JSON API), and the compiled script and stylesheet. Nothing
 * from a package is ever in the HTML the server sends.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Router, type RequestHandler } from 'express';
import type { CordonConfig } from '../config';

/** Folder of the compiled page script and its stylesheet (`dist/web`). */
export const WEB_DIR = join(__dirname, '..', '..', 'web');

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(dir)) return assets;
  for (const file of readdirSync(dir)) {
    const ext = file.slice(file.lastIndexOf('.'));
    if (!/^[a-z0-9-]+\.(js|css|svg)$/.test(file) || !TYPES[ext]) continue;
    const body = readFileSync(join(dir, file));
    assets.set(file, { body, type: TYPES[ext]!, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return assets;
}

const escapeAttr = (s: string): string => s.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML every page starts from; `base` is the path the mirror is served under ("/" or "/prefix/"). */
export function shellHtml(base: string): string {
  const b = escapeAttr(base);
  return `<!doctype html>
<html lang="en" data-base="${b}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Cordon</title>
<link rel="icon" href="${b}-/cordon/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="${b}-/cordon/static/app.css">
<script type="module" src="${b}-/cordon/static/app.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="${b}-/cordon/">Cordon</a><nav id="nav" aria-label="Cordon"></nav></header>
<main id="main" tabindex="-1" aria-busy="true"><p>Loading…</p>
<noscript><p>These pages need JavaScript. From a terminal: <code>cordon queue</code>, <code>cordon show pkg@version --diff</code>, <code>cordon approve pkg@version</code>.</p></noscript></main>
</body>
</html>
`;
}

/** Routes for the pages and their assets, mounted at /-/cordon. */
export function pagesRouter(config: Pick<CordonConfig, 'publicUrl'>, dir: string = WEB_DIR): Router {
  const router = Router();
  const assets = loadAssets(dir);
  const base = config.publicUrl ? new URL(config.publicUrl).pathname : '/';
  const shell = Buffer.from(shellHtml(base));
  const sendShell: RequestHandler = (_req, res) => {
    res.status(200).set({ 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' }).send(shell);
  };
  router.get('/', sendShell);
  router.get(['/audit', '/enroll'], sendShell);
  router.get(/^\/packages\/.+/, sendShell);
  router.get('/static/:file', (req, res, next) => {
    const asset = assets.get(req.params.file!);
    if (!asset) return next();
    res.set({ 'Content-Type': asset.type, ETag: asset.etag, 'Cache-Control': 'no-cache' });
    if (req.headers['if-none-match'] === asset.etag) return void res.status(304).end();
    res.status(200).send(asset.body);
  });
  return router;
}
