-- POST /api/v1/auth/login with the JSON body from the environment.
dofile(os.getenv("OC_BENCH_DIR") .. "/report.lua")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("OC_BENCH_LOGIN_BODY")
