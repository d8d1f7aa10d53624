#!/bin/sh
# outbreak-local/nginx: the official image's template step. Every file under
# NGINX_ENVSUBST_TEMPLATE_DIR (default /etc/nginx/templates, subdirectories included)
# whose name ends in NGINX_ENVSUBST_TEMPLATE_SUFFIX (default .template) is written, the
# suffix dropped and at the same relative path, under NGINX_ENVSUBST_OUTPUT_DIR (default
# /etc/nginx/conf.d), with envsubst replacing ${NAME} (and $NAME) only for variables that
# are defined in the environment (and whose names match the regular expression
# NGINX_ENVSUBST_FILTER, when set): nginx's own $variables stay as they are.
set -e

say() {
    [ -n "${NGINX_ENTRYPOINT_QUIET_LOGS:-}" ] || echo "$0: $*"
}

template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}

[ -d "$template_dir" ] || exit 0
if [ ! -w "$output_dir" ]; then
    say "ERROR: $template_dir exists, but $output_dir is not writable"
    exit 0
fi

# The names of the environment's variables (matching the filter), as envsubst's
# SHELL-FORMAT argument: '${A} ${B} ...'.
names=$(awk 'BEGIN { for (n in ENVIRON) if (n ~ /^[A-Za-z_][A-Za-z0-9_]*$/) print n }' | sort)
if [ -n "$filter" ]; then
    names=$(printf '%s\n' "$names" | grep -E -- "$filter" || true)
fi
shell_format=$(printf '${%s} ' $names)

find "$template_dir" -follow -type f -name "*$suffix" | sort | while read -r template; do
    relative=${template#"$template_dir"/}
    output=$output_dir/${relative%"$suffix"}
    mkdir -p "$(dirname "$output")"
    say "Running envsubst on $template to $output"
    envsubst "$shell_format" <"$template" >"$output"
done
