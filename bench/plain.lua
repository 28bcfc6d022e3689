-- An unauthenticated GET.
dofile(os.getenv("OC_BENCH_DIR") .. "/report.lua")
