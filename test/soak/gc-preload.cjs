// Test code only, never shipped: `make soak` starts the proxy as
//   node --expose-gc --require test/soak/gc-preload.cjs dist/main.js
// so it can ask for the heap after a full GC without any hook in src/. On SIGUSR2 this runs gc(), lets
// finalizers and weak callbacks run for a turn, runs gc() again, and writes process.memoryUsage() to stderr as
// one JSON line: {"event":"soak_memory","heapUsed":...,"rss":...}.
'use strict';

if (typeof global.gc !== 'function') throw new Error('test/soak/gc-preload.cjs needs node --expose-gc');

process.on('SIGUSR2', () => {
  global.gc();
  setImmediate(() => {
    global.gc();
    process.stderr.write(`${JSON.stringify({ event: 'soak_memory', ...process.memoryUsage() })}\n`);
  });
});
