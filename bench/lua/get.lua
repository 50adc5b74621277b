-- GET with the headers given on the wrk command line (Host, Authorization).
-- The path comes from the URL, or from BENCH_PATH when set (a deep page's
-- cursor is too long and too specific for the URL argument to read well).
local path = os.getenv("BENCH_PATH")
if path and path ~= "" then
  wrk.path = path
end
dofile("report.lua")
