// The kernel's sockets and the Jupyter messaging protocol (5.3) around a Session.
//
// Shell requests are handled one at a time in arrival order (as ipykernel does), each between a
// `busy` and an `idle` status; the control channel is answered at once (interrupt, shutdown,
// kernel_info). Every socket sends one message at a time (SerialSender), and stream output is
// gathered until the event loop turns, then sent before any other output of the cell, so outputs
// arrive in the order the code produced them.
'use strict';

const crypto = require('crypto');
const { createSigner, parseMessage, encodeMessage, SerialSender, PROTOCOL_VERSION } = require('./wire');
const { formatResult } = require('./session');

class KernelServer {
  /**
   * @param {object} options
   *   zmq         the zeromq module (tslab's)
   *   connection  the parsed connection file
   *   session     a Session
   *   info        the kernel_info_reply content (without status)
   *   log         (text) => void: the kernel's own log (its original stderr)
   */
  constructor({ zmq, connection, session, info, log }) {
    this.zmq = zmq;
    this.connection = connection;
    this.session = session;
    this.info = info;
    this.log = log;
    this.sign = createSigner(connection.key, connection.signature_scheme);
    this.kernelId = crypto.randomUUID();
    this.sessionId = crypto.randomUUID();
    this.executionCount = 0;
    this.history = []; // [session, line, code] of stored executions
    this.shellQueue = [];
    this.shellBusy = false;
    this.pendingStream = null; // { parent, name, text }
    this.streamFlushScheduled = false;
    this.closed = false;
    session.onLateError = (error) => {
      // After the cell's reply: the output still belongs to the cell that started it.
      if (session.lastParent) this.publish('error', error, session.lastParent);
      else this.log(`kernel: ${error.ename}: ${error.evalue}`);
    };
  }

  async start() {
    const { zmq, connection } = this;
    // No high-water mark on iopub: a publisher drops messages beyond it, and a cell's outputs
    // must all arrive, however fast it produces them.
    this.iopub = new zmq.Publisher({ sendHighWaterMark: 0, linger: 1000 });
    this.shell = new zmq.Router({ linger: 1000 });
    this.control = new zmq.Router({ linger: 1000 });
    this.stdin = new zmq.Router({ linger: 0 });
    this.heartbeat = new zmq.Reply({ linger: 0 });
    const address = (port) => `${connection.transport || 'tcp'}://${connection.ip}:${port}`;
    await Promise.all([
      this.iopub.bind(address(connection.iopub_port)),
      this.shell.bind(address(connection.shell_port)),
      this.control.bind(address(connection.control_port)),
      this.stdin.bind(address(connection.stdin_port)),
      this.heartbeat.bind(address(connection.hb_port)),
    ]);
    const onSendError = (name) => (error) => this.log(`kernel: a message on ${name} could not be sent: ${error.message}`);
    this.senders = {
      iopub: new SerialSender(this.iopub, onSendError('iopub')),
      shell: new SerialSender(this.shell, onSendError('shell')),
      control: new SerialSender(this.control, onSendError('control')),
    };
    this.receive(this.shell, (frames) => {
      this.shellQueue.push(frames);
      this.pumpShell();
    });
    this.receive(this.control, (frames) => this.handleControl(frames));
    this.receive(this.heartbeat, (frames) => this.heartbeat.send(frames), { awaitEach: true });
    this.publish('status', { execution_state: 'starting' }, {});
  }

  receive(socket, onFrames, { awaitEach = false } = {}) {
    (async () => {
      try {
        for await (const frames of socket) {
          if (awaitEach) await onFrames(frames);
          else onFrames(frames);
        }
      } catch (error) {
        if (!this.closed) this.log(`kernel: a socket stopped receiving: ${error.message}`);
      }
    })();
  }

  // --- sending ---------------------------------------------------------------------------------

  send(channel, identities, type, content, parent, metadata) {
    const frames = encodeMessage({ identities, type, session: this.sessionId, parent, content, metadata }, this.sign);
    return this.senders[channel].send(frames);
  }

  publish(type, content, parent) {
    if (type !== 'stream') this.flushStream();
    const topic = Buffer.from(`kernel.${this.kernelId}.${type}`);
    return this.send('iopub', [topic], type, content, parent);
  }

  /** Stream text is gathered per cell and stream name, and sent when the event loop turns. */
  writeStream(parent, name, text) {
    const pending = this.pendingStream;
    if (pending && pending.parent === parent && pending.name === name) {
      pending.text += text;
    } else {
      this.flushStream();
      this.pendingStream = { parent, name, text };
    }
    if (!this.streamFlushScheduled) {
      this.streamFlushScheduled = true;
      setImmediate(() => {
        this.streamFlushScheduled = false;
        this.flushStream();
      });
    }
  }

  flushStream() {
    const pending = this.pendingStream;
    if (!pending) return;
    this.pendingStream = null;
    this.publish('stream', { name: pending.name, text: pending.text }, pending.parent);
  }

  reply(channel, request, type, content) {
    this.flushStream();
    return this.send(channel, request.identities, type, content, request.header);
  }

  // --- shell -----------------------------------------------------------------------------------

  parse(frames, channel) {
    try {
      return parseMessage(frames, this.sign);
    } catch (error) {
      this.log(`kernel: dropped a message on ${channel}: ${error.message}`);
      return null;
    }
  }

  async pumpShell() {
    if (this.shellBusy) return;
    this.shellBusy = true;
    try {
      while (this.shellQueue.length > 0 && !this.closed) {
        const request = this.parse(this.shellQueue.shift(), 'shell');
        if (request) await this.handleRequest('shell', request);
      }
    } finally {
      this.shellBusy = false;
    }
  }

  async handleRequest(channel, request) {
    const type = request.header.msg_type;
    const parent = request.header;
    this.publish('status', { execution_state: 'busy' }, parent);
    try {
      switch (type) {
        case 'execute_request':
          await this.execute(channel, request);
          break;
        case 'kernel_info_request':
          this.reply(channel, request, 'kernel_info_reply', { status: 'ok', ...this.info });
          break;
        case 'is_complete_request':
          this.reply(channel, request, 'is_complete_reply', this.session.isComplete(String(request.content.code || '')));
          break;
        case 'complete_request':
          this.reply(channel, request, 'complete_reply', this.complete(request.content));
          break;
        case 'inspect_request':
          this.reply(channel, request, 'inspect_reply', this.inspect(request.content));
          break;
        case 'history_request':
          this.reply(channel, request, 'history_reply', { status: 'ok', history: this.historyFor(request.content) });
          break;
        case 'comm_info_request':
          this.reply(channel, request, 'comm_info_reply', { status: 'ok', comms: {} });
          break;
        case 'comm_open':
          // No comm targets (widgets) in this kernel: close what a front end opens.
          this.publish('comm_close', { comm_id: request.content.comm_id, data: {} }, parent);
          break;
        case 'comm_msg':
        case 'comm_close':
          break;
        case 'connect_request':
          this.reply(channel, request, 'connect_reply', {
            status: 'ok',
            shell_port: this.connection.shell_port,
            iopub_port: this.connection.iopub_port,
            stdin_port: this.connection.stdin_port,
            hb_port: this.connection.hb_port,
            control_port: this.connection.control_port,
          });
          break;
        case 'interrupt_request':
          this.session.interrupt();
          this.reply(channel, request, 'interrupt_reply', { status: 'ok' });
          break;
        case 'shutdown_request':
          await this.shutdown(channel, request);
          return;
        default:
          this.log(`kernel: unknown message type ${JSON.stringify(type)} on ${channel}, ignored`);
      }
    } catch (error) {
      this.log(`kernel: handling ${type} failed: ${error && error.stack ? error.stack : error}`);
      if (type.endsWith('_request')) {
        const described = { ename: 'KernelError', evalue: String(error && error.message), traceback: [] };
        this.reply(channel, request, type.replace(/_request$/, '_reply'), { status: 'error', ...described });
      }
    }
    this.publish('status', { execution_state: 'idle' }, parent);
  }

  async execute(channel, request) {
    const parent = request.header;
    const content = request.content || {};
    const code = String(content.code || '');
    const silent = content.silent === true;
    const storeHistory = !silent && content.store_history !== false;
    const stopOnError = content.stop_on_error !== false;
    if (storeHistory) this.executionCount += 1;
    const count = this.executionCount;
    if (!silent) this.publish('execute_input', { code, execution_count: count }, parent);
    if (storeHistory) this.history.push([1, count, code]);
    this.session.lastParent = parent;
    const outcome = await this.session.execute(code, {
      writeStream: (name, text) => this.writeStream(parent, name, text),
      writeDisplayData: (data, update) => this.publish(update ? 'update_display_data' : 'display_data', data, parent),
    });
    if (outcome.error) {
      this.publish('error', outcome.error, parent);
      this.reply(channel, request, 'execute_reply', { status: 'error', execution_count: count, ...outcome.error });
      if (stopOnError) this.abortQueuedExecutions();
      return;
    }
    if (outcome.result && !silent) {
      this.publish('execute_result', {
        execution_count: count,
        data: { 'text/plain': formatResult(outcome.result.value) },
        metadata: {},
      }, parent);
    }
    const userExpressions = {};
    for (const name of Object.keys(content.user_expressions || {})) {
      userExpressions[name] = {
        status: 'error',
        ename: 'NotImplementedError',
        evalue: 'this kernel does not evaluate user_expressions',
        traceback: [],
      };
    }
    this.reply(channel, request, 'execute_reply', {
      status: 'ok',
      execution_count: count,
      payload: [],
      user_expressions: userExpressions,
    });
  }

  /** After an error with stop_on_error: execute requests already waiting are answered "aborted". */
  abortQueuedExecutions() {
    const waiting = this.shellQueue;
    this.shellQueue = [];
    for (const frames of waiting) {
      const request = this.parse(frames, 'shell');
      if (!request) continue;
      if (request.header.msg_type !== 'execute_request') {
        this.shellQueue.push(frames);
        continue;
      }
      this.publish('status', { execution_state: 'busy' }, request.header);
      this.reply('shell', request, 'execute_reply', { status: 'aborted' }); // as ipykernel: no execution count, it did not run
      this.publish('status', { execution_state: 'idle' }, request.header);
    }
  }

  complete(content) {
    const code = String(content.code || '');
    const cursor = Number.isInteger(content.cursor_pos) ? content.cursor_pos : code.length;
    const reply = this.session.complete(code, cursor);
    return { status: 'ok', matches: reply.matches, cursor_start: reply.cursor_start, cursor_end: reply.cursor_end, metadata: {} };
  }

  inspect(content) {
    const code = String(content.code || '');
    const cursor = Number.isInteger(content.cursor_pos) ? content.cursor_pos : code.length;
    const reply = this.session.inspect(code, cursor);
    return { status: 'ok', found: reply.found, data: reply.data, metadata: {} };
  }

  historyFor(content) {
    const entries = this.history;
    const output = (list) => list.map(([session, line, code]) => (content.output ? [session, line, [code, null]] : [session, line, code]));
    switch (content.hist_access_type) {
      case 'tail':
        return output(entries.slice(-Math.max(0, Number(content.n) || 0)));
      case 'range': {
        const start = Number(content.start) || 0;
        const stop = content.stop == null ? Infinity : Number(content.stop);
        return output(entries.filter(([, line]) => line >= start && line < stop));
      }
      case 'search': {
        // IPython's glob: * and ? wildcards, matched against the whole input.
        const pattern = String(content.pattern || '*');
        const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '.')}$`);
        let found = entries.filter(([, , code]) => regex.test(code));
        if (content.unique) {
          const seen = new Set();
          found = found.filter(([, , code]) => (seen.has(code) ? false : seen.add(code)));
        }
        if (Number(content.n) > 0) found = found.slice(-Number(content.n));
        return output(found);
      }
      default:
        return [];
    }
  }

  // --- control ---------------------------------------------------------------------------------

  handleControl(frames) {
    const request = this.parse(frames, 'control');
    if (!request) return;
    this.handleRequest('control', request).catch((error) => this.log(`kernel: control: ${error.message}`));
  }

  async shutdown(channel, request) {
    const restart = request.content && request.content.restart === true;
    this.reply(channel, request, 'shutdown_reply', { status: 'ok', restart });
    this.publish('shutdown_reply', { status: 'ok', restart }, request.header);
    this.publish('status', { execution_state: 'idle' }, request.header);
    await this.close();
    process.exit(0);
  }

  async close() {
    if (this.closed) return;
    this.flushStream();
    await Promise.all(Object.values(this.senders || {}).map((sender) => sender.drained()));
    this.closed = true;
    try {
      this.session.close();
    } catch (error) {
      this.log(`kernel: closing the session: ${error.message}`);
    }
    for (const socket of [this.iopub, this.shell, this.control, this.stdin, this.heartbeat]) {
      if (socket) socket.close();
    }
  }
}

module.exports = { KernelServer, PROTOCOL_VERSION };
