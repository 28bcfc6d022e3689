-- An authenticated GET: the access token comes from the environment.
dofile(os.getenv("OC_BENCH_DIR") .. "/report.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OC_BENCH_TOKEN")
