-- Each claim of a run for the executor threads gets a token of its own
-- (worker/run_db.c). A step starts, a lease is renewed and a run's outcome
-- is stored only under the token of the claim the executor holds, not
-- merely under the worker's name: if a claim were lost with a database
-- crash (its commit does not wait for the WAL flush) and the same worker
-- claimed the run again, the first claim's executor could otherwise go on
-- beside the second. The fast path claims and completes a run in one
-- transaction and takes no token.
ALTER TABLE automation.runs ADD COLUMN lease_token uuid;
