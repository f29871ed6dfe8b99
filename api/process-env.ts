// Imported first by api/server.ts: process-wide settings that must be in place before anything runs.

// libuv sizes its threadpool on first use; the durable log's fsyncs, lake publishes and DuckDB file
// reads all share it, and the default 4 threads queue behind each other.
process.env.UV_THREADPOOL_SIZE ??= '16';

// The AWS SDK warns on Node 20 about releases after January 2027; our lockfile pins today's SDK, and the
// notice would be the first thing a new user sees on `npm start`. Set it to 'false' to see it again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
