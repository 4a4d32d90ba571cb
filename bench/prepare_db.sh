# Sourced by bench/catalog.sh and bench/flow_run.sh: make sure the benchmark database exists, is migrated and
# holds at least $PRODUCTS products (seeding only the missing ones). Needs DB, PRODUCTS, PY and DATABASE_URL set;
# BENCH_RESEED=1 drops the database first.
bench_prepare_db() {
  if [[ "${BENCH_RESEED:-0}" == "1" ]]; then
    psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS ${DB}"
  fi
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${DB}'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE ${DB}"
  $PY manage.py migrate --noinput -v0
  local have
  have=$($PY manage.py shell -v0 -c "from shop.catalog.models import Product; print(Product.objects.count())")
  if (( have < PRODUCTS )); then
    echo "seeding $((PRODUCTS - have)) products"
    /usr/bin/time -f "seed_catalog took %es" $PY manage.py seed_catalog --products $((PRODUCTS - have))
    psql -h 127.0.0.1 -U postgres -d "$DB" -qc "VACUUM ANALYZE"
  fi
}
