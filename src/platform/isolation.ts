/**
 * Headers that make a page cross-origin isolated, so the browser lets it share memory with Web
 * Workers and descent's kernels run on every core (without them, on one thread). `descent
 * playground` serves the page with them, and so do the playground's Vite dev and preview
 * servers (playground/vite.config.ts); this file imports nothing, so the Vite config can read it.
 */
export const CROSS_ORIGIN_ISOLATION: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};
