/**
 * The web chat page: plain HTML, JS and CSS files under src/serve/web/, read at run time with no
 * build step. Compiled code lives in dist/src/serve/, so the folder is found relative to this
 * module's URL three levels up, back in the source tree.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Folder holding index.html, app.js and style.css. */
export const WEB_DIR = fileURLToPath(new URL('../../../src/serve/web/', import.meta.url));

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/** The page file for a URL path, or undefined when the path is not one of the page's files. */
export async function webFile(
  path: string,
  dir: string = WEB_DIR,
): Promise<{ body: Buffer; type: string } | undefined> {
  const f = FILES[path];
  if (!f) return undefined;
  return { body: await readFile(dir + f.file), type: f.type };
}
