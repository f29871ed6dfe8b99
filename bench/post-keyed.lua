-- bench/post.lua, plus a unique Idempotency-Key on every request, as the SDK sends one: what idempotency
-- costs the server, without the SDK. Usage: wrk ... -s bench/post-keyed.lua <url> -- <body file> <token> <key prefix>
local dir = debug.getinfo(1, "S").source:sub(2):match("(.*/)") or "./"
dofile(dir .. "post.lua")

local base_setup = setup
local base_init = init
local thread_count = 0

function setup(thread)
  base_setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_index", thread_count)
end

function init(args)
  base_init(args)
  key_prefix = args[3] .. "-" .. tostring(thread_index) .. "-"
  key_counter = 0
end

function request()
  key_counter = key_counter + 1
  wrk.headers["Idempotency-Key"] = key_prefix .. key_counter
  return wrk.format()
end
