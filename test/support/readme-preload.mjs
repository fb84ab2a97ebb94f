// Loaded into each README block the readme test runs: tells the test, over IPC, the port of any
// server the block starts (the block listens on PORT=0, a free port), so the test can call it.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  this.once('listening', () => process.send?.({ listening: this.address().port }));
  return listen.apply(this, args);
};
