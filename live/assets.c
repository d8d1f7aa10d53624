/* assets.c — the live UI's files (see assets.h): a table over the C arrays that
 * web/embed.cmake generates from web/ui at build time (ob_ui_* in build/web/ui_*.c). */
#include "assets.h"

#include <pthread.h>
#include <string.h>

extern const char ob_ui_index_html[], ob_ui_ui_js[], ob_ui_ui_css[], ob_ui_uplot_js[], ob_ui_uplot_css[];
extern const size_t ob_ui_index_html_len, ob_ui_ui_js_len, ob_ui_ui_css_len, ob_ui_uplot_js_len,
    ob_ui_uplot_css_len;

#define TEXT(type) type "; charset=utf-8"

static ob_asset assets[] = {
    {"/", TEXT("text/html"), ob_ui_index_html, 0},
    {"/ui.js", TEXT("text/javascript"), ob_ui_ui_js, 0},
    {"/ui.css", TEXT("text/css"), ob_ui_ui_css, 0},
    {"/uplot.js", TEXT("text/javascript"), ob_ui_uplot_js, 0},
    {"/uplot.css", TEXT("text/css"), ob_ui_uplot_css, 0},
};

static pthread_once_t assets_once = PTHREAD_ONCE_INIT;

/* The lengths live in other translation units (not constant expressions here): set
 * once, before the first lookup, whichever thread comes first. */
static void assets_init(void)
{
    assets[0].len = ob_ui_index_html_len;
    assets[1].len = ob_ui_ui_js_len;
    assets[2].len = ob_ui_ui_css_len;
    assets[3].len = ob_ui_uplot_js_len;
    assets[4].len = ob_ui_uplot_css_len;
}

const ob_asset *ob_asset_find(const char *path)
{
    if (!path)
        return NULL;
    pthread_once(&assets_once, assets_init);
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (strcmp(path, assets[i].path) == 0)
            return &assets[i];
    return NULL;
}
