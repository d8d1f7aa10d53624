/* assets.h — the files of outbreak web's live UI, compiled into the binary: web/ui's
 * index.html, ui.js and ui.css and uPlot's two dist files (web/ui/node_modules/uplot,
 * installed by `npm ci` from web/ui/package-lock.json), turned into C arrays by
 * web/embed.cmake at build time (CMakeLists.txt). Nothing is read from disk at run time.
 *
 *   "/"           index.html   text/html; charset=utf-8
 *   "/ui.js"      ui.js        text/javascript; charset=utf-8
 *   "/ui.css"     ui.css       text/css; charset=utf-8
 *   "/uplot.js"   uPlot.iife.min.js
 *   "/uplot.css"  uPlot.min.css
 *
 * The page loads nothing from any other origin and has no inline script or style
 * element and no on* attribute, so that the server's Content-Security-Policy
 * (default-src 'self') holds. */
#ifndef OB_ASSETS_H
#define OB_ASSETS_H

#include <stddef.h>

typedef struct ob_asset {
    const char *path;         /* the URL path, e.g. "/ui.js" */
    const char *content_type; /* with charset=utf-8 for text */
    const char *data;         /* len bytes (NUL-terminated, the NUL not counted) */
    size_t len;
} ob_asset;

/* The asset served at `path` (exactly: no query string, no "/index.html" alias), or
 * NULL. NULL-safe. */
const ob_asset *ob_asset_find(const char *path);

#endif
