// Imported first by api/server.ts. libuv sizes its threadpool on first use; the durable log's fsyncs,
// lake publishes and DuckDB file reads all share it, and the default 4 threads queue behind each other.
process.env.UV_THREADPOOL_SIZE ??= '16';
