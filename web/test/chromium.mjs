// What the browser tests (web/test) and the benchmark (bench/) share: a
// static file server with the COOP/COEP headers (cross-origin isolation, so
// that wasm threads are on) and the launch of Debian's headless Chromium
// with WebGPU. No dependency: the callers pass their own playwright-core.

import { createServer } from 'node:http';
import { createReadStream, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';

export const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

/**
 * WebGPU adapters by name. lavapipe: Dawn's OpenGL ES backend on ANGLE on
 * Vulkan llvmpipe, 3–7× faster than SwiftShader; the page must ask for
 * featureLevel 'compatibility' (shared/docs/webgpu-on-cpu.md §B).
 */
export const ADAPTER_FLAGS = {
  lavapipe: ['--use-angle=vulkan', '--use-webgpu-adapter=opengles', '--enable-features=Vulkan'],
  swiftshader: [],
};

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp', '.gif': 'image/gif', '.bmp': 'image/bmp',
  '.tif': 'image/tiff',
};

/**
 * Serves files on 127.0.0.1 with COOP/COEP: roots maps URL prefixes to
 * folders (the first matching prefix wins; a folder gives its index.html),
 * pages maps exact paths to HTML strings. cache is the Cache-Control
 * header; headers are more headers for every response (a
 * Content-Security-Policy, say). Resolves to {url, close}.
 */
export function serveStatic({ roots, pages = {}, cache = 'no-store', headers = {} }) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Cache-Control', cache);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (path in pages) {
      res.writeHead(200, { 'Content-Type': MIME['.html'] }).end(pages[path]);
      return;
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    if (!prefix) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    const root = roots[prefix];
    let file = normalize(join(root, path.slice(prefix.length)));
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] || 'application/octet-stream', 'Content-Length': statSync(file).size });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  return new Promise((ok) => {
    server.listen(0, '127.0.0.1', () => ok({
      url: `http://127.0.0.1:${server.address().port}`,
      close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
    }));
  });
}

/**
 * Launches headless Chromium (playwright-core's chromium) with WebGPU on
 * profile, a fresh one when omitted (deleted by the context's close()),
 * with args added to the command line and env to the environment.
 * Resolves to the persistent context.
 */
export async function launchChromium(chromium, { profile = null, args = [], env = {}, viewport } = {}) {
  const own = profile == null;
  if (own) profile = mkdtempSync(join(tmpdir(), 'lowformer-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    env: { ...process.env, ...env },
    headless: true,
    ignoreDefaultArgs: ['--headless'],
    ...(viewport ? { viewport } : {}),
    args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-gpu-sandbox',
      '--enable-webgpu-developer-features', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage', ...args],
  });
  const close = ctx.close.bind(ctx);
  ctx.close = async () => {
    await close();
    if (own) rmSync(profile, { recursive: true, force: true });
  };
  return ctx;
}
