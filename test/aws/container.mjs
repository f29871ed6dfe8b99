// One Lambda container for the AWS-mode end-to-end test: a process of its own that imports the built
// bundle with Node's own loader (argv[2]) and runs one invocation at a time on request over IPC. What the
// bundle writes to stdout (EMF lines) is the parent's to read, as CloudWatch Logs reads a function's.
const mod = await import(process.argv[2]);

let queue = Promise.resolve();
process.on('message', (msg) => {
  queue = queue.then(async () => {
    try {
      const result = msg.type === 'invoke' ? await mod.handler(msg.event, {}) : await mod.catalogTableCheck();
      const reply =
        msg.type === 'check' && result.error ? { ...result, error: result.error.message } : result;
      process.send({ id: msg.id, result: reply });
    } catch (err) {
      process.send({ id: msg.id, error: String(err?.stack ?? err) });
    }
  });
});
process.send({ ready: true });
