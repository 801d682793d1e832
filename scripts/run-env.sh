# Sourced by run.sh: the environment of the embedded run (`make run`). Debug is off, as in
# production (no tracebacks, no URL lists on 404 pages, whitenoise serves the collected static
# files), but it serves plain HTTP on this machine, so no HTTPS-only cookies or redirect.
# Each variable set in the environment wins.
: "${DJANGO_DEBUG:=false}"
: "${DJANGO_HTTPS:=false}"
if [ -z "${DJANGO_SECRET_KEY:-}" ]; then
  # Debug off needs a real secret: made once per data folder, readable by this user only.
  _key_file="${DATA_DIR:-data}/secret_key"
  if [ ! -s "$_key_file" ]; then
    mkdir -p "$(dirname "$_key_file")"
    (umask 077 && head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$_key_file")
  fi
  DJANGO_SECRET_KEY=$(cat "$_key_file")
fi
export DJANGO_DEBUG DJANGO_HTTPS DJANGO_SECRET_KEY
