-- POST /api/customers/upload/ with 500 customers per request.
--
-- BENCH_UPLOAD_MODE=new: every request carries 500 external_ids never sent
-- before, built from BENCH_NONCE (unique per run), the wrk thread number and
-- a per-thread counter.
-- BENCH_UPLOAD_MODE=update: the ids cycle through BENCH_UPDATE_IDS ids
-- named "<BENCH_UPDATE_PREFIX><n>" that bench/run stored beforehand, and each
-- request changes their fields, so every record is an update.
local batch = 500
local mode = os.getenv("BENCH_UPLOAD_MODE") or "new"
local nonce = os.getenv("BENCH_NONCE") or "0"
local update_prefix = os.getenv("BENCH_UPDATE_PREFIX") or "update-"
local update_ids = tonumber(os.getenv("BENCH_UPDATE_IDS") or "0")

local thread_count = 0
function setup(thread)
  thread:set("thread_number", thread_count)
  thread_count = thread_count + 1
end

local counter = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local function customer(id, serial)
  return string.format(
    '{"external_id":"%s","first_name":"First%d","last_name":"Last%d",' ..
    '"email":"customer%d@example.com","phone_number":"+35840%07d","city":"Helsinki",' ..
    '"country":"FI","can_email":true,"date_joined":"2024-01-15T10:00:00Z"}',
    id, serial, serial, serial, serial % 10000000)
end

function request()
  local parts = {}
  local thread = thread_number or 0
  for i = 1, batch do
    local serial = counter * batch + i
    local id
    if mode == "update" then
      local slot = (counter * batch + i + thread * 7919) % update_ids
      id = update_prefix .. slot
    else
      id = string.format("n%s-%d-%d", nonce, thread, serial)
    end
    parts[i] = customer(id, serial)
  end
  counter = counter + 1
  return wrk.format(nil, nil, nil, '{"customers":[' .. table.concat(parts, ",") .. ']}')
end

dofile("report.lua")
