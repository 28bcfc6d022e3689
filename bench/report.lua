-- Shared by the bench scripts: one machine-readable summary line.
done = function(summary, latency, requests)
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format("OCBENCH %.1f %.2f %.2f %d %d\n",
		summary.requests / secs,
		latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		e.status, e.connect + e.read + e.write + e.timeout))
end
